/*
 * The device as the guardian reaches it without a driver: its sysfs directory (a real function's
 * /sys/bus/pci/devices/<address>, or a sysfs-style directory such as ixgbe-sim serves). Clearing
 * Bus Master Enable in `config` stops a PCI function from issuing memory requests (PCI Local Bus
 * Specification 3.0, 6.2.2); a device-specific hook then quiesces it further.
 */

import { statSync } from "node:fs";
import { constants as C, close, mmap, munmap, open, pread, pwrite, viewOf } from "@dataplane/sys";
import { DmaGuardError } from "./errors.ts";

/** Offset of the Command register in config space, and its Bus Master Enable bit. */
const PCI_COMMAND = 0x04;
const COMMAND_MASTER = 0x4;

/** The directory of a device spec: `sysfs:<dir>`, a PCI address, or a directory path. */
export function deviceDir(spec: string): string {
  if (spec.startsWith("sysfs:")) return spec.slice("sysfs:".length);
  if (/^[0-9a-f]{4}:[0-9a-f]{2}:[0-9a-f]{2}\.[0-7]$/i.test(spec))
    return `/sys/bus/pci/devices/${spec}`;
  if (spec.startsWith("/")) return spec;
  throw new DmaGuardError(
    "BAD_ARGUMENT",
    `device "${spec}" is not a sysfs device: give sysfs:<dir>, a PCI address such as 0000:03:00.0, or a directory (vfio devices need no guardian: the IOMMU mapping goes with the process)`,
  );
}

/** An open device: its config space and (for stop hooks) its BAR0 mapped. */
export class GuardedDevice {
  private readonly configFd: number;
  private bar: { address: number; bytes: number; u32: Uint32Array } | null = null;

  constructor(
    readonly dir: string,
    mapBar: boolean,
  ) {
    this.configFd = openDeviceFile(`${dir}/config`);
    if (!mapBar) return;
    try {
      const path = `${dir}/resource0`;
      const bytes = statSync(path).size;
      const fd = openDeviceFile(path);
      try {
        const address = mmap(bytes, C.PROT_READ | C.PROT_WRITE, C.MAP_SHARED, fd, 0);
        this.bar = { address, bytes, u32: new Uint32Array(viewOf(address, bytes)) };
      } finally {
        close(fd);
      }
    } catch (e) {
      close(this.configFd);
      throw e instanceof DmaGuardError
        ? e
        : new DmaGuardError(
            "NO_DEVICE",
            `cannot map ${dir}/resource0: ${(e as Error).message}; run as root`,
            { cause: e },
          );
    }
  }

  /** BAR0 as 32-bit registers (null when not mapped). */
  get registers(): Uint32Array | null {
    return this.bar?.u32 ?? null;
  }

  /** Clears Bus Master Enable and reads it back; returns the Command register now. */
  clearBusMaster(): number {
    const word = new Uint16Array(1);
    pread(this.configFd, word, 2, PCI_COMMAND);
    word[0] = (word[0] as number) & ~COMMAND_MASTER;
    pwrite(this.configFd, word, 2, PCI_COMMAND);
    pread(this.configFd, word, 2, PCI_COMMAND);
    return word[0] as number;
  }

  /** Unmaps BAR0 and closes config. Idempotent. */
  close(): void {
    if (this.bar !== null) munmap(this.bar.address, this.bar.bytes);
    this.bar = null;
    close(this.configFd);
  }
}

function openDeviceFile(path: string): number {
  try {
    return open(path, C.O_RDWR | C.O_CLOEXEC);
  } catch (cause) {
    throw new DmaGuardError(
      "NO_DEVICE",
      `cannot open ${path} (${(cause as Error).message}); check the device and run as root`,
      { cause },
    );
  }
}
