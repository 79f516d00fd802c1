/*
 * Moving a buffer pool between threads. A Mempool's free stack and per-buffer arrays are
 * ordinary JS memory, so they cannot be shared; instead the owner empties its pool into a
 * small shared block (free list + DMA address arrays), the other thread builds its own Mempool
 * over the same buffer memory and refills it from that list, and the way back is the same.
 * Buffers on rings or in flight are never in either free list: they travel with the rings.
 */
import { Mempool } from "@dataplane/mempool";
import { addressOf, constants as C, mmap, munmap, viewOf } from "@dataplane/sys";
import { IxgbeError } from "./errors.ts";
import type { BufferPool } from "./pool.ts";

/** Block word 0: where the pool is, one of POOL_*. */
const W_STATE = 0;
/** Block word 1: entries in the free list. */
const W_FREE = 1;
const HEADER_WORDS = 16;
/** The owner emptied its pool into the block. */
export const POOL_EXPORTED = 1;
/** A Worker built its pool from the block and uses it. */
export const POOL_ATTACHED = 2;
/** The Worker emptied its pool back into the block. */
export const POOL_RETURNED = 3;

/** A pool as it travels to a Worker: numbers only (structured-clone-able). */
export interface ExportedPool {
  /** Native address of the handoff block (state, free list, DMA addresses). */
  readonly block: number;
  /** Native address of the buffer memory. */
  readonly memory: number;
  /** Length of the buffer memory in bytes. */
  readonly bytes: number;
  /** The address the pool's layout was planned from (its MempoolMemory.address). */
  readonly layoutAddress: number;
  readonly pageSize: number;
  readonly bufferSize: number;
  readonly headroom: number;
  readonly count: number;
}

/** What a pool must offer to be handed off: a non-debug @dataplane/mempool Mempool. */
type HandoffPool = BufferPool & {
  readonly bufferSize: number;
  readonly headroom: number;
  readonly debug?: boolean;
  dataAddress(i: number): number;
};

const blockBytes = (count: number): number =>
  Math.ceil((4 * (HEADER_WORDS + 4 * count)) / 4096) * 4096;

/** The block's views: state words, free list, and the owner's per-buffer arrays. */
function blockViews(address: number, count: number) {
  const buf = viewOf(address, blockBytes(count));
  const at = (k: number) => new Uint32Array(buf, 4 * (HEADER_WORDS + k * count), count);
  return {
    words: new Uint32Array(buf, 0, HEADER_WORDS),
    free: at(0),
    dataOffset: at(1),
    dmaLo: at(2),
    dmaHi: at(3),
  };
}

// The page size the pool was laid out with (Mempool keeps its memory in a field); 2 MiB, the
// driver's page size, when it cannot be seen. The rebuilt pool copies the owner's offsets anyway.
function pageSizeOf(pool: HandoffPool): number {
  const size = (pool as { memory?: { pageSize?: unknown } }).memory?.pageSize;
  return typeof size === "number" && size > 0 ? size : 2 << 20;
}

/** Throws BAD_CONFIG unless `pool` can be rebuilt in another thread. */
export function checkHandoffPool(pool: BufferPool, what: string): HandoffPool {
  const p = pool as HandoffPool;
  if (typeof p.dataAddress !== "function" || typeof p.bufferSize !== "number" || p.debug) {
    throw new IxgbeError(
      "BAD_CONFIG",
      `${what}: only a non-debug @dataplane/mempool Mempool can be handed to a Worker; use the driver's pools or Mempool.create without debug`,
    );
  }
  return p;
}

/** Main-thread side of one handed-off pool; shared by every exported queue that uses it. */
export class PoolHandoff {
  /** Exported queues that reference this pool and were not reclaimed yet. */
  refs = 0;
  readonly exported: ExportedPool;
  private readonly views: ReturnType<typeof blockViews>;
  private restored = false;
  private address: number;

  /** Maps the block, copies the DMA addresses, and empties `pool` into the free list. */
  constructor(private readonly pool: HandoffPool) {
    const count = pool.count;
    this.address = mmap(
      blockBytes(count),
      C.PROT_READ | C.PROT_WRITE,
      C.MAP_SHARED | C.MAP_ANONYMOUS,
    );
    this.views = blockViews(this.address, count);
    this.views.dataOffset.set(pool.dataOffset);
    this.views.dmaLo.set(pool.dmaLo);
    this.views.dmaHi.set(pool.dmaHi);
    const n = pool.allocBatch(this.views.free, pool.available);
    Atomics.store(this.views.words, W_FREE, n);
    Atomics.store(this.views.words, W_STATE, POOL_EXPORTED);
    this.exported = {
      block: this.address,
      memory: addressOf(pool.u8),
      bytes: pool.u8.byteLength,
      layoutAddress: pool.dataAddress(0) - (pool.dataOffset[0] as number),
      pageSize: pageSizeOf(pool),
      bufferSize: pool.bufferSize,
      headroom: pool.headroom,
      count,
    };
  }

  /**
   * Refills the owner's pool from the block once the Worker returned it (or never took it).
   * Returns true when the pool is back (now or earlier).
   */
  giveBack(): boolean {
    if (this.restored) return true;
    const state = Atomics.load(this.views.words, W_STATE);
    if (state !== POOL_RETURNED && state !== POOL_EXPORTED) return false;
    const n = Atomics.load(this.views.words, W_FREE);
    this.pool.freeBatch(this.views.free, Math.min(n, this.pool.count));
    this.restored = true;
    return true;
  }

  /** Drops one reference; the last one unmaps the block. */
  unref(): void {
    if (--this.refs > 0 || this.address === 0) return;
    munmap(this.address, blockBytes(this.pool.count));
    this.address = 0;
  }
}

/**
 * Worker side: builds a Mempool over the same buffer memory with the owner's DMA addresses
 * and free list, and marks the block attached. Throws BAD_CONFIG / HANDED_OFF.
 */
export function attachPool(e: ExportedPool): Mempool {
  const v = blockViews(e.block, e.count);
  if (Atomics.compareExchange(v.words, W_STATE, POOL_EXPORTED, POOL_ATTACHED) !== POOL_EXPORTED) {
    throw new IxgbeError(
      "HANDED_OFF",
      `pool at 0x${e.memory.toString(16)} is not waiting for a Worker (state ${Atomics.load(v.words, W_STATE)}); it is attached elsewhere or was taken back`,
    );
  }
  const memory = {
    address: e.layoutAddress,
    bytes: e.bytes,
    pageSize: e.pageSize,
    u8: new Uint8Array(viewOf(e.memory, e.bytes)),
    physicalAddress: (): number => 0, // unused: addresses come from the owner's arrays
  };
  let pool: Mempool;
  try {
    // IOVA base 0 only makes create() lay the buffers out; the owner's offsets and addresses
    // are copied over below, so the two pools agree buffer by buffer.
    pool = Mempool.create({
      memory,
      dma: { kind: "iova", base: 0 },
      bufferSize: e.bufferSize,
      headroom: e.headroom,
      count: e.count,
    });
  } catch (cause) {
    Atomics.store(v.words, W_STATE, POOL_EXPORTED);
    throw new IxgbeError("BAD_CONFIG", `cannot rebuild the pool: ${(cause as Error).message}`, {
      cause,
    });
  }
  pool.dataOffset.set(v.dataOffset);
  pool.dmaLo.set(v.dmaLo);
  pool.dmaHi.set(v.dmaHi);
  const all = new Uint32Array(e.count);
  pool.allocBatch(all, e.count);
  pool.freeBatch(v.free, Atomics.load(v.words, W_FREE));
  return pool;
}

/**
 * Worker side: empties `pool` back into its block and marks it returned (or, with `undo`,
 * waiting for a Worker again, after a failed attach).
 */
export function returnPool(e: ExportedPool, pool: Mempool, undo = false): void {
  const v = blockViews(e.block, e.count);
  const n = pool.allocBatch(v.free, pool.available);
  pool.close();
  Atomics.store(v.words, W_FREE, n);
  Atomics.store(v.words, W_STATE, undo ? POOL_EXPORTED : POOL_RETURNED);
}
