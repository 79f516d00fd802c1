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
   * Optional: read32 of `offsets[0..count)`, in order, into `out`, with the same side effects.
   * A transport whose reads are round trips (vfio-user) sends them together; callers fall back
   * to read32 one by one where it is absent (see readRegisters).
   */
  readMany?(offsets: Int32Array, out: Uint32Array, count?: number): void;
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

/** read32 of `offsets[0..count)` in order into `out`: through mmio.readMany when it has one. */
export function readRegisters(
  mmio: Mmio,
  offsets: Int32Array,
  out: Uint32Array,
  count = offsets.length,
): void {
  if (mmio.readMany !== undefined) {
    mmio.readMany(offsets, out, count);
    return;
  }
  for (let i = 0; i < count; i++) out[i] = mmio.read32(offsets[i] as number) >>> 0;
}
