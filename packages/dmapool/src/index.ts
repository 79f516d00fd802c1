/* @dataplane/dmapool public API: small DMA blocks over hugepage memory, dma_pool style. */
export { DmaPoolError, type DmaPoolErrorCode } from "./errors.ts";
export { type BlockShape, blockOffsets } from "./layout.ts";
export {
  DmaPool,
  type DmaPoolMemory,
  type DmaPoolOptions,
  type DmaView,
  NO_BLOCK,
} from "./pool.ts";
