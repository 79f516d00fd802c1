/*
 * Spec -> back-end. A PCI address goes through kernel VFIO when the function has an IOMMU
 * group and /dev/vfio/<group> exists, else through sysfs with physical addresses.
 */
import { DEFAULT_SYSFS_ROOT, deviceAccess, openDevice } from "@dataplane/pci";
import { connectVfioUser, openKernelDevice, type VfioDevice } from "@dataplane/vfio";
import { IxgbeError } from "../errors.ts";
import { parseSpec } from "../spec.ts";
import { withPlainBar } from "./plain-bar.ts";
import { sysfsBackend } from "./sysfs.ts";
import type { Backend } from "./types.ts";
import { vfioBackend } from "./vfio.ts";

/** Where to look for things; tests point these at fake trees. */
export interface BackendOptions {
  /** sysfs PCI root; default /sys/bus/pci/devices. */
  readonly sysfsRoot?: string;
  /** Force one path for a PCI address instead of choosing. */
  readonly access?: "auto" | "vfio" | "sysfs";
}

function wrap(what: string, cause: unknown): IxgbeError {
  if (cause instanceof IxgbeError) return cause;
  return new IxgbeError("DEVICE_FAULT", `${what}: ${(cause as Error).message}`, { cause });
}

function openPci(address: string, options: BackendOptions): Backend {
  const mode = options.access ?? "auto";
  let useVfio = mode === "vfio";
  if (mode === "auto") {
    const info = openDevice(address, options.sysfsRoot ? { root: options.sysfsRoot } : {}).info;
    const access = deviceAccess(info);
    if (!access.vfio.usable && !access.sysfs.usable) {
      throw new IxgbeError(
        "DEVICE_FAULT",
        `${address} cannot be driven from user space: VFIO: ${access.vfio.reason}; sysfs: ${access.sysfs.reason}`,
      );
    }
    useVfio = access.vfio.usable;
  }
  if (!useVfio) {
    const root = options.sysfsRoot ?? DEFAULT_SYSFS_ROOT;
    return withPlainBar(sysfsBackend(address, options.sysfsRoot), `${root}/${address}/resource0`);
  }
  let dev: VfioDevice;
  try {
    dev = openKernelDevice(
      address,
      options.sysfsRoot === undefined ? {} : { sysfsRoot: options.sysfsRoot },
    );
  } catch (cause) {
    throw wrap(`opening ${address} through kernel VFIO`, cause);
  }
  return vfioBackend(dev, "kernel-vfio");
}

/** Opens the device a spec names. Throws IxgbeError BAD_SPEC, UNSUPPORTED_DEVICE, DEVICE_FAULT. */
export async function openBackend(spec: string, options: BackendOptions = {}): Promise<Backend> {
  const parsed = parseSpec(spec);
  switch (parsed.kind) {
    case "vfio-user": {
      let dev: VfioDevice;
      try {
        dev = connectVfioUser(parsed.socketPath);
      } catch (cause) {
        throw wrap(`connecting to vfio-user socket ${parsed.socketPath}`, cause);
      }
      return vfioBackend(dev, "vfio-user");
    }
    case "sysfs":
      return withPlainBar(
        sysfsBackend(`sysfs:${parsed.dir}`, options.sysfsRoot),
        `${parsed.dir}/resource0`,
      );
    case "pci":
      try {
        return openPci(parsed.address, options);
      } catch (cause) {
        throw wrap(`opening ${parsed.address}`, cause);
      }
  }
}
