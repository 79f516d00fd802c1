/* Buffer pools over driver-owned DMA blocks, made by @dataplane/mempool. */
import { Mempool } from "@dataplane/mempool";
import { IxgbeError } from "../errors.ts";
import type { BufferPool } from "../pool.ts";
import type { DmaBlock } from "./types.ts";

/** Bytes per buffer (ixy's entry size); data room is this minus the pool's headroom. */
export const BUFFER_SIZE = 2048;

/** Bytes of DMA memory a pool of `count` buffers needs. */
export const poolBytes = (count: number): number => count * BUFFER_SIZE;

/** A pool of `count` 2 KiB buffers (default: as many as fit) over `block`. Throws NO_MEMORY. */
export function createPool(block: DmaBlock, label: string, count?: number): BufferPool {
  try {
    return Mempool.create({ memory: block, dma: block.dma, bufferSize: BUFFER_SIZE, count });
  } catch (cause) {
    throw new IxgbeError(
      "NO_MEMORY",
      `cannot make the buffer pool for ${label}: ${(cause as Error).message}`,
      { cause },
    );
  }
}
