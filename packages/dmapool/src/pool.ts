/*
 * DmaPool: small DMA blocks (descriptor rings, command blocks, completion records) carved out of
 * hugepage memory, like the kernel's dma_pool: a block size, an alignment, a boundary no block
 * crosses. Blocks are named by index; alloc/free go through a stack of free indices and allocate
 * nothing, and every block's device address is computed once, as two 32-bit halves.
 */
import type { DmaStrategy, MempoolMemory } from "@dataplane/mempool";
import { DmaPoolError } from "./errors.ts";
import { type BlockShape, blockOffsets, checkShape } from "./layout.ts";

/** What allocOne returns when the pool is empty. */
export const NO_BLOCK = 0xffffffff;

/**
 * Memory a pool carves into blocks: the same shape a Mempool takes (a @dataplane/hugemem
 * `HugeRegion` has it). The pool never closes it.
 */
export type DmaPoolMemory = Omit<MempoolMemory, "close">;

/** How the device sees the memory: `physical` (sysfs, no IOMMU) or `iova` (`base + offset`). */
export type DmaView = DmaStrategy;

/** Options of new DmaPool(). */
export interface DmaPoolOptions {
  readonly memory: DmaPoolMemory;
  readonly dma: DmaView;
  /** Bytes per block. */
  readonly blockSize: number;
  /** Power of two every block's device address is a multiple of. Default 64 (a cache line). */
  readonly align?: number;
  /** Power of two no block crosses, or 0 (default) for none; pages are never crossed anyway. */
  readonly boundary?: number;
}

const TWO_32 = 2 ** 32;

/** A pool of equal small DMA blocks. Not thread-safe: one pool per thread. */
export class DmaPool {
  /** Number of blocks; indices are 0..count-1. */
  readonly count: number;
  readonly blockSize: number;
  readonly align: number;
  readonly boundary: number;
  /** Byte offset of each block in `memory.u8`. */
  readonly offset: Float64Array;
  /** Low / high 32 bits of each block's device address. */
  readonly dmaLo: Uint32Array;
  readonly dmaHi: Uint32Array;
  /** The whole memory as bytes (block i is u8[offset[i]] ..). */
  readonly u8: Uint8Array;
  private readonly stack: Uint32Array;
  private readonly inUse: Uint8Array;
  private top: number;
  private closed = false;

  /** Lays the blocks out and computes their device addresses. Throws BAD_ARGUMENT, TOO_SMALL. */
  constructor(options: DmaPoolOptions) {
    const { memory, dma } = options;
    const shape: BlockShape = {
      blockSize: options.blockSize,
      align: options.align ?? 64,
      boundary: options.boundary ?? 0,
    };
    if (memory === undefined || !(memory.u8 instanceof Uint8Array)) {
      throw new DmaPoolError(
        "BAD_ARGUMENT",
        "options.memory must be a region with address, bytes, pageSize, u8 and physicalAddress (a @dataplane/hugemem region)",
      );
    }
    checkShape(shape, memory.pageSize);
    const base = dmaBase(dma, Math.max(shape.align, shape.boundary));
    this.offset = blockOffsets(shape, memory.bytes, memory.pageSize);
    this.count = this.offset.length;
    if (this.count === 0) {
      throw new DmaPoolError(
        "TOO_SMALL",
        `${memory.bytes} bytes hold no ${shape.blockSize}-byte block; give the pool more memory`,
      );
    }
    this.blockSize = shape.blockSize;
    this.align = shape.align;
    this.boundary = shape.boundary;
    this.u8 = memory.u8;
    this.dmaLo = new Uint32Array(this.count);
    this.dmaHi = new Uint32Array(this.count);
    for (let i = 0; i < this.count; i++) {
      const off = this.offset[i] as number;
      const device = dma.kind === "physical" ? memory.physicalAddress(off) : base + off;
      this.dmaLo[i] = device % TWO_32;
      this.dmaHi[i] = Math.floor(device / TWO_32);
    }
    this.stack = new Uint32Array(this.count);
    for (let i = 0; i < this.count; i++) this.stack[i] = this.count - 1 - i; // block 0 first
    this.top = this.count;
    this.inUse = new Uint8Array(this.count);
  }

  /** Free blocks. */
  get available(): number {
    return this.top;
  }

  /** Device address of block `index` (a double, exact below 2^53). */
  deviceAddress(index: number): number {
    return (this.dmaHi[index] as number) * TWO_32 + (this.dmaLo[index] as number);
  }

  /** One block, or NO_BLOCK when none is free. Allocates nothing. */
  allocOne(): number {
    if (this.top === 0) return NO_BLOCK;
    const index = this.stack[--this.top] as number;
    this.inUse[index] = 1;
    return index;
  }

  /** One block filled with zeros (dma_pool_zalloc), or NO_BLOCK. */
  zallocOne(): number {
    const index = this.allocOne();
    if (index !== NO_BLOCK) {
      const off = this.offset[index] as number;
      this.u8.fill(0, off, off + this.blockSize);
    }
    return index;
  }

  /**
   * Fills out[0..n) with n free blocks and returns n, or returns 0 and takes none when fewer
   * than n are free (all or nothing, as a ring refill wants). Allocates nothing.
   */
  allocBatch(out: Uint32Array, n = out.length): number {
    if (n > this.top || n > out.length) return 0;
    for (let i = 0; i < n; i++) {
      const index = this.stack[--this.top] as number;
      this.inUse[index] = 1;
      out[i] = index;
    }
    return n;
  }

  /** Gives block `index` back. Throws BAD_BLOCK for an index not allocated from this pool. */
  free(index: number): void {
    this.check(index);
    this.inUse[index] = 0;
    this.stack[this.top++] = index;
  }

  /** Gives blocks[0..n) back; checks all of them (BAD_BLOCK) before taking any. */
  freeBatch(blocks: Uint32Array, n = blocks.length): void {
    const inUse = this.inUse;
    let i = 0;
    for (; i < n; i++) {
      const index = blocks[i] as number;
      if (index >= this.count || inUse[index] !== 1 || this.closed) break;
      inUse[index] = 2; // taken by this batch: a second occurrence stops the loop
    }
    if (i < n) {
      for (let k = 0; k < i; k++) inUse[blocks[k] as number] = 1;
      this.check(blocks[i] as number);
      throw this.doubleFree(blocks[i] as number);
    }
    for (let k = 0; k < n; k++) {
      const index = blocks[k] as number;
      inUse[index] = 0;
      this.stack[this.top++] = index;
    }
  }

  /** A view of block `index` (a new object: make views at setup, not per operation). */
  view(index: number): Uint8Array {
    const off = this.offset[index] as number;
    return this.u8.subarray(off, off + this.blockSize);
  }

  /** Stops the pool; the memory stays the caller's. Idempotent. */
  close(): void {
    this.closed = true;
    this.top = 0;
  }

  [Symbol.dispose](): void {
    this.close();
  }

  private check(index: number): void {
    if (this.closed)
      throw new DmaPoolError("CLOSED", "the pool was used after close(); make a new DmaPool");
    if (!(Number.isInteger(index) && index >= 0 && index < this.count)) {
      throw new DmaPoolError(
        "BAD_BLOCK",
        `${index} is not a block of this pool (0 .. ${this.count - 1})`,
      );
    }
    if (this.inUse[index] === 0) throw this.doubleFree(index);
  }

  private doubleFree(index: number): DmaPoolError {
    return new DmaPoolError(
      "BAD_BLOCK",
      `block ${index} is already free (freed twice, or never allocated); free each block once`,
    );
  }
}

function dmaBase(dma: DmaView, alignment: number): number {
  if (dma?.kind === "physical") return 0;
  if (dma?.kind !== "iova") {
    throw new DmaPoolError(
      "BAD_ARGUMENT",
      `options.dma must be { kind: "physical" } or { kind: "iova", base }, got ${JSON.stringify(dma)}`,
    );
  }
  if (!Number.isSafeInteger(dma.base) || dma.base < 0 || dma.base % alignment !== 0) {
    throw new DmaPoolError(
      "BAD_ARGUMENT",
      `iova base ${dma.base} must be a non-negative integer aligned to ${alignment} (the alignment and boundary asked for)`,
    );
  }
  return dma.base;
}
