/*
 * BAR access through an mmap of sysfs `resourceN` (or any file that stands in for a BAR,
 * such as the resource0 of a sysfs-style device directory served by a device model).
 * The mapping is MAP_SHARED, so stores reach the device (or the other process) directly.
 */
import { close, constants, fileSize, mmap, munmap, open, viewOf } from "@dataplane/sys";
import { fileError, PciError } from "./errors.ts";
import type { Mmio, MmioWord } from "./mmio.ts";

/**
 * An Mmio over one mapped BAR. read32 uses Atomics.load because the device changes
 * registers behind our back and a plain load may be hoisted out of a polling loop;
 * write32 is a plain store, ordered against later stores by barrier().
 */
export class MappedMmio implements Mmio {
  readonly size: number;
  private view: Uint32Array;
  private address: number;
  // barrier() stores here: an Atomics op is a full fence for the JIT and (on x86) the CPU,
  // without touching a device register, where an extra access could have side effects.
  private readonly fence = new Int32Array(1);

  /** Wraps an existing mapping of `size` bytes at `address`; close() will munmap it. */
  constructor(address: number, size: number) {
    this.address = address;
    this.size = size;
    this.view = new Uint32Array(viewOf(address, size - (size % 4)));
  }

  /** Reads the 32-bit register at byte `offset` (4-byte aligned). */
  read32(offset: number): number {
    return Atomics.load(this.view, offset >>> 2);
  }

  /** Writes the 32-bit register at byte `offset` (4-byte aligned). */
  write32(offset: number, value: number): void {
    this.view[offset >>> 2] = value;
  }

  /** The mapped word at `offset`; every word of a sysfs BAR mapping is direct. */
  word(offset: number): MmioWord {
    if (!Number.isInteger(offset) || offset < 0 || offset % 4 !== 0 || offset + 4 > this.size) {
      throw new PciError(
        "BAD_OFFSET",
        `register offset ${offset} is not a 4-byte aligned offset below the BAR size ${this.size}`,
      );
    }
    return { view: this.view, index: offset >>> 2 };
  }

  /** Orders every earlier store before any later one. */
  barrier(): void {
    Atomics.store(this.fence, 0, 0);
  }

  /** Unmaps the BAR. Views handed out by word() must not be used afterwards. Idempotent. */
  close(): void {
    if (this.address === 0) return;
    const address = this.address;
    this.address = 0;
    // An empty view makes a stray access throw a RangeError instead of faulting.
    this.view = new Uint32Array(0);
    munmap(address, this.size);
  }

  [Symbol.dispose](): void {
    this.close();
  }
}

/** Maps the whole file at `path` (a sysfs resourceN) read-write and shared. */
export function mapResourceFile(path: string): MappedMmio {
  let fd = -1;
  try {
    fd = open(path, constants.O_RDWR | constants.O_CLOEXEC);
  } catch (e) {
    if ((e as { code?: unknown }).code === "ENOENT") {
      throw new PciError("NO_RESOURCE", `${path} does not exist: the device has no such BAR`, {
        cause: e,
      });
    }
    throw fileError("opening BAR", path, e);
  }
  try {
    const size = fileSize(fd);
    if (size < 4) {
      throw new PciError("NO_RESOURCE", `${path} is ${size} bytes long: nothing to map`);
    }
    const prot = constants.PROT_READ | constants.PROT_WRITE;
    let address: number;
    try {
      address = mmap(size, prot, constants.MAP_SHARED, fd, 0);
    } catch (e) {
      throw fileError("mapping BAR", path, e);
    }
    return new MappedMmio(address, size);
  } finally {
    close(fd); // the mapping keeps the file referenced
  }
}
