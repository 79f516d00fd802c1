/*
 * How a function can be driven from user space, in the spirit of dpdk-devbind's status:
 * kernel VFIO (IOMMU group and /dev/vfio/<group> present), sysfs with physical addresses
 * (no IOMMU, root, resource0 present), or only by the kernel driver bound to it.
 */
import { geteuid } from "@dataplane/sys";
import type { PciDeviceInfo } from "./device.ts";
import { exists } from "./sysfs.ts";

/** One way of driving a device, and why it is or is not available. */
export interface AccessPath {
  readonly usable: boolean;
  /** Human-readable: what was found, or what is missing and how to fix it. */
  readonly reason: string;
}

/** What can drive one device. */
export interface DeviceAccess {
  readonly vfio: AccessPath;
  readonly sysfs: AccessPath;
  /** The kernel driver bound now (it must be unbound before a user-space driver takes over). */
  readonly kernelDriver: string | null;
}

/** Where to look for VFIO group nodes, and whose privileges to assume. */
export interface AccessOptions {
  /** Default /dev/vfio. */
  readonly vfioDir?: string;
  /** Effective uid; defaults to this process's. */
  readonly euid?: number;
}

function vfioPath(info: PciDeviceInfo, vfioDir: string): AccessPath {
  if (info.iommuGroup === null) {
    return {
      usable: false,
      reason: "no IOMMU group: boot with intel_iommu=on (or amd_iommu=on) to use VFIO",
    };
  }
  const node = `${vfioDir}/${info.iommuGroup}`;
  if (exists(node)) return { usable: true, reason: `${node} present` };
  const ids = `${info.vendor.toString(16).padStart(4, "0")} ${info.device.toString(16).padStart(4, "0")}`;
  return {
    usable: false,
    reason: `${node} missing: modprobe vfio-pci, then echo "${ids}" > /sys/bus/pci/drivers/vfio-pci/new_id`,
  };
}

function sysfsPath(info: PciDeviceInfo, euid: number): AccessPath {
  if (info.iommuGroup !== null) {
    return {
      usable: false,
      reason: `IOMMU group ${info.iommuGroup} present: physical DMA addresses would be translated, use VFIO`,
    };
  }
  if (euid !== 0) return { usable: false, reason: "needs root (resource0 and pagemap PFNs)" };
  const bar0 = info.resources.find((r) => r.index === 0);
  if (bar0 === undefined || !bar0.mappable) {
    return { usable: false, reason: "no resource0 file: BAR0 cannot be mapped through sysfs" };
  }
  return { usable: true, reason: `${info.dir}/resource0 mappable` };
}

/** Works out which user-space access paths are open for `info`. */
export function deviceAccess(info: PciDeviceInfo, options: AccessOptions = {}): DeviceAccess {
  return {
    vfio: vfioPath(info, options.vfioDir ?? "/dev/vfio"),
    sysfs: sysfsPath(info, options.euid ?? geteuid()),
    kernelDriver: info.driver,
  };
}
