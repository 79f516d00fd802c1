/*
 * The "what to do" half of kernel VFIO error messages: how to load vfio-pci, bind a device
 * to it, turn the IOMMU on, or fall back to the specs that need no VFIO at all.
 */

/** Identity used to make the instructions concrete; ids null when sysfs could not say. */
export interface DeviceHint {
  readonly address: string;
  readonly vendor: number | null;
  readonly device: number | null;
}

const hex4 = (n: number): string => n.toString(16).padStart(4, "0");

/** Step-by-step instructions to bind `d` to vfio-pci. */
export function bindSteps(d: DeviceHint): string {
  const sysdev = `/sys/bus/pci/devices/${d.address}`;
  const ids =
    d.vendor !== null && d.device !== null
      ? `${hex4(d.vendor)} ${hex4(d.device)}`
      : "<vendor> <device>";
  return [
    "  modprobe vfio-pci",
    `  echo ${d.address} > ${sysdev}/driver/unbind   # if a driver is bound`,
    `  echo "${ids}" > /sys/bus/pci/drivers/vfio-pci/new_id`,
    `  # or: echo vfio-pci > ${sysdev}/driver_override && echo ${d.address} > /sys/bus/pci/drivers_probe`,
  ].join("\n");
}

/** Instructions for turning the IOMMU on. */
export const IOMMU_STEPS =
  "  boot with intel_iommu=on (Intel) or amd_iommu=on (AMD) on the kernel command line (iommu=pt keeps host DMA fast)";

/** The specs that work without kernel VFIO. */
export const FALLBACK =
  "Without VFIO, name the device as sysfs:<device dir> (physical DMA addresses, needs root) or vfio-user:<socket> (e.g. a running ixgbe-sim).";

/** Message for a missing /dev/vfio/vfio. */
export function noVfioMessage(vfioDir: string, d: DeviceHint): string {
  return [
    `kernel VFIO is not available: ${vfioDir}/vfio does not exist. To drive ${d.address} through VFIO:`,
    IOMMU_STEPS,
    bindSteps(d),
    FALLBACK,
  ].join("\n");
}

/** Message for a device bound to something other than vfio-pci (no /dev/vfio/<group>). */
export function notBoundMessage(node: string, d: DeviceHint): string {
  return [
    `${node} does not exist: ${d.address} is not bound to vfio-pci. Bind it:`,
    bindSteps(d),
    FALLBACK,
  ].join("\n");
}
