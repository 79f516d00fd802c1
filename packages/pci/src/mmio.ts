/*
 * Mmio: 32-bit register access to a device BAR, whatever backs it (an mmap of sysfs
 * resourceN, a VFIO region mmap, or vfio-user trapped read/write messages).
 */

/**
 * A directly mapped word: `view[index]` is the register. Write it with a plain store (never
 * Atomics.store: on x86 that is `xchg`, a locked access to device memory); read it with
 * Atomics.load so a polling loop sees the device change it.
 */
export interface MmioWord {
  readonly view: Uint32Array;
  readonly index: number;
}

/** 32-bit register access at byte offsets into one BAR. */
export interface Mmio {
  /** The BAR's size in bytes. */
  readonly size: number;
  /** Reads the 32-bit register at byte `offset` (4-byte aligned). Side effects (clear-on-read) happen. */
  read32(offset: number): number;
  /** Writes the 32-bit register at byte `offset` (4-byte aligned). */
  write32(offset: number, value: number): void;
  /**
   * The directly mapped word for `offset`, or null when that register is trapped (reached
   * only through read32/write32). Drivers look doorbells up once at setup and keep the pair.
   */
  word(offset: number): MmioWord | null;
  /** Orders every earlier store (descriptor writes) before any later one (the doorbell). */
  barrier(): void;
  /** Unmaps. Idempotent. */
  close(): void;
}
