/*
 * Debug-mode bookkeeping: who owns each buffer, and a poison pattern written into every free
 * buffer and checked when it is handed out again. Only DebugMempool uses this, so the fast
 * pool's hot path carries none of these checks.
 */
import { MempoolError } from "./errors.ts";

/** The word written over every free buffer in debug mode (bytes 0x6b, as Linux slab poison). */
export const POISON = 0x6b6b6b6b;

/** Ownership bitmap plus poison for one pool. Indices are trusted only after checkIndex. */
export class BufferGuard {
  // 0: in the pool, 1: handed out (the caller owns it), 2: quarantined (its poison was found
  // overwritten; it is never handed out again, so one corruption is reported once).
  private readonly owned: Uint8Array;
  private readonly words: number;

  constructor(
    private readonly u32: Uint32Array,
    private readonly dataOffset: Uint32Array,
    private readonly headroom: number,
    bufferSize: number,
  ) {
    this.owned = new Uint8Array(dataOffset.length);
    this.words = bufferSize >>> 2;
    for (let i = 0; i < dataOffset.length; i++) this.poison(i);
  }

  /** Throws BAD_INDEX unless `i` names a buffer of this pool. */
  checkIndex(i: number, what: string): void {
    if (!Number.isInteger(i) || i < 0 || i >= this.owned.length) {
      throw new MempoolError(
        "BAD_INDEX",
        `${what}(${i}): not a buffer index of this pool (0..${this.owned.length - 1}); was it taken from another pool or a stale variable?`,
      );
    }
  }

  /** Throws USE_AFTER_FREE unless the caller owns buffer `i` (checked index). */
  checkOwned(i: number, what: string): void {
    if (this.owned[i] !== 1) {
      throw new MempoolError(
        "USE_AFTER_FREE",
        `${what}(${i}): buffer ${i} is free (in the pool), so nobody may use it; allocate it first or drop the stale index`,
      );
    }
  }

  /** Records buffer `i` going back to the pool; throws DOUBLE_FREE / BAD_INDEX. */
  release(i: number, what: string): void {
    this.checkIndex(i, what);
    if (this.owned[i] !== 1) {
      throw new MempoolError(
        "DOUBLE_FREE",
        `${what}(${i}): buffer ${i} is already free; it was freed twice (check which path still held the index)`,
      );
    }
    this.owned[i] = 0;
    this.poison(i);
  }

  /**
   * Records buffer `i` leaving the pool. Throws USE_AFTER_FREE if its poison was overwritten;
   * the buffer is then quarantined, and the caller must not hand it out.
   */
  acquire(i: number): void {
    const u32 = this.u32;
    const first = (this.dataOffset[i] - this.headroom) >>> 2;
    const end = first + this.words;
    for (let w = first; w < end; w++) {
      if (u32[w] !== POISON) {
        this.owned[i] = 2;
        const at = (w - first) << 2;
        throw new MempoolError(
          "USE_AFTER_FREE",
          `buffer ${i} was written while free: byte ${at} of the buffer reads 0x${u32[w]?.toString(16)}, ` +
            `poison is 0x${POISON.toString(16)}; some code (or a device still DMAing) used it after it was freed`,
        );
      }
    }
    this.owned[i] = 1;
  }

  private poison(i: number): void {
    const first = (this.dataOffset[i] - this.headroom) >>> 2;
    this.u32.fill(POISON, first, first + this.words);
  }
}
