/* @dataplane/mempool public API: fixed-size DMA packet buffers named by index. */
export { type AllocateMempoolOptions, allocateMempool } from "./allocate.ts";
export { POISON } from "./debug.ts";
export { MempoolError, type MempoolErrorCode } from "./errors.ts";
export {
  DATA_ALIGN,
  DEFAULT_BUFFER_SIZE,
  DEFAULT_HEADROOM,
  isPowerOfTwo,
  type Layout,
  type LayoutInput,
  MAX_COUNT,
  MIN_DATA_ROOM,
  mempoolBytes,
  planLayout,
} from "./layout.ts";
export type { DmaStrategy, MempoolMemory } from "./memory.ts";
export { DebugMempool, Mempool, NO_BUFFER } from "./mempool.ts";
export type { MempoolOptions } from "./options.ts";
