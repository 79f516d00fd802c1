/* MempoolOptions: what Mempool.create takes (memory, DMA strategy, sizes, debug, ownership). */
import type { DmaStrategy, MempoolMemory } from "./memory.ts";

/** Options for Mempool.create. Sizes in bytes. */
export interface MempoolOptions {
  /** The memory to carve (a @dataplane/hugemem region, or anything of that shape). */
  readonly memory: MempoolMemory;
  /** How the device addresses the memory: physical addresses or an IOVA base. */
  readonly dma: DmaStrategy;
  /** Number of buffers; default: as many as fit. */
  readonly count?: number;
  /** Power of two, at most the page size; default 2048. */
  readonly bufferSize?: number;
  /** Bytes before the data start, a multiple of 64; default 128. */
  readonly headroom?: number;
  /** Checks every alloc/free (double free, bad index, use after free); slower. Default false. */
  readonly debug?: boolean;
  /** When true, close() also closes `memory`. Default false. */
  readonly ownsMemory?: boolean;
}
