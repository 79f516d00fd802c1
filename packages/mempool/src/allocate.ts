/*
 * allocateMempool(): a pool together with its own hugepage memory from @dataplane/hugemem,
 * sized for the buffers asked for. The pool owns the region: close() gives the pages back.
 */
import {
  allocate,
  type Backing,
  type HugeRegion,
  type PageSizeName,
  pageSizeBytes,
} from "@dataplane/hugemem";
import { MempoolError } from "./errors.ts";
import { DEFAULT_BUFFER_SIZE, mempoolBytes } from "./layout.ts";
import type { DmaStrategy } from "./memory.ts";
import { Mempool } from "./mempool.ts";
import type { MempoolOptions } from "./options.ts";

/** Options for allocateMempool: MempoolOptions without memory, plus how to get the pages. */
export interface AllocateMempoolOptions
  extends Omit<MempoolOptions, "memory" | "ownsMemory" | "dma"> {
  /** Number of buffers (required: it decides how much memory to allocate). */
  readonly count: number;
  /**
   * The DMA strategy, or a function that receives the fresh region and returns one (e.g. maps
   * it for the device: `(r) => ({ kind: "iova", base: device.dmaMap(r) })`).
   */
  readonly dma: DmaStrategy | ((region: HugeRegion) => DmaStrategy);
  /** Hugepage size; default "2M". */
  readonly pageSize?: PageSizeName;
  /** Where the pages come from; default "memfd" (shareable by fd, e.g. over vfio-user). */
  readonly backing?: Backing;
}

/**
 * Allocates hugepage memory for `count` buffers and makes a pool that owns it (close() unmaps
 * it). Throws HugememError when the pages cannot be had, MempoolError as Mempool.create does;
 * the region is released on every failure.
 */
export function allocateMempool(options: AllocateMempoolOptions): Mempool {
  if (!Number.isInteger(options.count) || options.count < 1) {
    throw new MempoolError(
      "BAD_ARGUMENT",
      `count ${options.count} must be a positive integer: it sizes the memory to allocate`,
    );
  }
  const pageSize = options.pageSize ?? "2M";
  const bufferSize = options.bufferSize ?? DEFAULT_BUFFER_SIZE;
  const bytes = mempoolBytes(options.count, bufferSize, pageSizeBytes(pageSize));
  const region = allocate({ bytes, pageSize, backing: options.backing ?? "memfd" });
  try {
    const dma = typeof options.dma === "function" ? options.dma(region) : options.dma;
    return Mempool.create({ ...options, memory: region, dma, ownsMemory: true });
  } catch (e) {
    region.close();
    throw e;
  }
}
