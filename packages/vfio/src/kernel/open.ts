/*
 * openKernelDevice: the container -> group -> device sequence of kernel VFIO, with the
 * checks that turn "it does not work" into an error that says what to load or bind.
 */
import { existsSync } from "node:fs";
import {
  DEFAULT_SYSFS_ROOT,
  normalizeAddress,
  type PciDeviceInfo,
  readDeviceInfo,
} from "@dataplane/pci";
import { close, cstr, ioctl, type SysError } from "@dataplane/sys";
import { VfioError } from "../errors.ts";
import { IOCTL } from "./abi.ts";
import { acquireGroup, releaseGroup } from "./container.ts";
import { KernelVfioDevice } from "./device.ts";
import {
  bindSteps,
  type DeviceHint,
  FALLBACK,
  IOMMU_STEPS,
  notBoundMessage,
  noVfioMessage,
} from "./hints.ts";

/** Where to find sysfs and the VFIO device nodes. */
export interface KernelDeviceOptions {
  /** Default /sys/bus/pci/devices. */
  readonly sysfsRoot?: string;
  /** Default /dev/vfio. */
  readonly vfioDir?: string;
}

function hintFor(
  address: string,
  sysfsRoot: string,
): { hint: DeviceHint; pci: PciDeviceInfo | null } {
  try {
    const pci = readDeviceInfo(`${sysfsRoot}/${address}`, address);
    return { hint: { address, vendor: pci.vendor, device: pci.device }, pci };
  } catch {
    return { hint: { address, vendor: null, device: null }, pci: null };
  }
}

function openError(e: unknown, what: string, hint: DeviceHint): VfioError {
  if (e instanceof VfioError) return e;
  const code = (e as SysError).code;
  if (code === "EACCES" || code === "EPERM") {
    const why = `${what}: permission denied; run as root, or chown the /dev/vfio nodes to this user`;
    return new VfioError("NO_VFIO", why, { cause: e });
  }
  if (code === "EBUSY") {
    const why = `${what}: busy; another process holds this IOMMU group (close it there first)`;
    return new VfioError("GROUP_NOT_VIABLE", why, { cause: e });
  }
  const why = `${what} failed: ${(e as Error).message}. Check that ${hint.address} is bound to vfio-pci:`;
  return new VfioError("NO_VFIO", `${why}\n${bindSteps(hint)}\n${FALLBACK}`, { cause: e });
}

/**
 * Opens `pciAddress` (e.g. "0000:03:00.0") through kernel VFIO. Throws VfioError NO_VFIO
 * (with what to load and bind) when /dev/vfio is absent or the device is not bound to
 * vfio-pci, NO_IOMMU_GROUP without an IOMMU, GROUP_NOT_VIABLE when the group is shared.
 */
export function openKernelDevice(
  pciAddress: string,
  options: KernelDeviceOptions = {},
): KernelVfioDevice {
  const sysfsRoot = options.sysfsRoot ?? DEFAULT_SYSFS_ROOT;
  const vfioDir = options.vfioDir ?? "/dev/vfio";
  const address = normalizeAddress(pciAddress);
  if (address === null) {
    throw new VfioError(
      "BAD_ARGUMENT",
      `"${pciAddress}" is not a PCI address such as 0000:03:00.0`,
    );
  }
  const { hint, pci } = hintFor(address, sysfsRoot);
  if (!existsSync(`${vfioDir}/vfio`)) throw new VfioError("NO_VFIO", noVfioMessage(vfioDir, hint));
  if (pci === null) {
    throw new VfioError(
      "BAD_ARGUMENT",
      `${address} is not a PCI device under ${sysfsRoot}; list them with "bun run pci list"`,
    );
  }
  if (pci.iommuGroup === null) {
    throw new VfioError(
      "NO_IOMMU_GROUP",
      `${address} has no IOMMU group, so VFIO cannot isolate it:\n${IOMMU_STEPS}\n${FALLBACK}`,
    );
  }
  const node = `${vfioDir}/${pci.iommuGroup}`;
  if (!existsSync(node)) throw new VfioError("NO_VFIO", notBoundMessage(node, hint));
  let attached: ReturnType<typeof acquireGroup>;
  try {
    attached = acquireGroup(vfioDir, pci.iommuGroup);
  } catch (e) {
    throw openError(e, `opening ${node}`, hint);
  }
  const { container, group } = attached;
  let fd = -1;
  try {
    fd = ioctl(group.fd, IOCTL.GROUP_GET_DEVICE_FD, cstr(address), "VFIO_GROUP_GET_DEVICE_FD");
    return new KernelVfioDevice(address, fd, container, group);
  } catch (e) {
    if (fd >= 0) close(fd);
    releaseGroup(container, group);
    throw openError(e, `getting ${address} from group ${pci.iommuGroup}`, hint);
  }
}
