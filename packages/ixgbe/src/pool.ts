/*
 * What the queues need from a buffer pool. @dataplane/mempool's Mempool has this shape; keeping
 * the queues on an interface means the hot path does not depend on how pools are made.
 */

/** Index returned by allocOne when the pool is empty. */
export const NO_BUFFER = 0xffffffff;

/** A pool of DMA buffers named by index. */
export interface BufferPool {
  /** Number of buffers. */
  readonly count: number;
  /** Bytes usable from each buffer's data start. */
  readonly dataRoom: number;
  /** Per buffer: data length in bytes. */
  readonly len: Uint32Array;
  /** Per buffer: byte offset of the data in `u8`. */
  readonly dataOffset: Uint32Array;
  /** Per buffer: device address of the data start, low 32 bits. */
  readonly dmaLo: Uint32Array;
  /** Per buffer: device address of the data start, high 32 bits. */
  readonly dmaHi: Uint32Array;
  /** The pool's memory as bytes. */
  readonly u8: Uint8Array;
  /** Number of free buffers. */
  readonly available: number;
  /** One buffer index, or NO_BUFFER. */
  allocOne(): number;
  /** Returns one buffer. */
  freeOne(i: number): void;
  /** Takes up to n buffers into out; returns how many. */
  allocBatch(out: Uint32Array, n: number): number;
  /** Returns from[0..n-1]; returns how many were taken. */
  freeBatch(from: Uint32Array, n: number): number;
  /** Empties the pool. Idempotent. */
  close(): void;
}
