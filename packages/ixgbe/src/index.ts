/* @dataplane/ixgbe public API: the Intel 82599 driver. Register map: "@dataplane/ixgbe/regs". */

export { type AttachedQueue, attachQueue, attachQueues, QueueAttachment } from "./attach.ts";
export { type BackendOptions, openBackend } from "./backend/open.ts";
export type {
  Backend,
  DmaAddressing,
  DmaBlock,
  ForeignMemory,
  IrqBackend,
} from "./backend/types.ts";
export { IxgbeDevice, type OpenOptions } from "./device.ts";
export { IxgbeError, type IxgbeErrorCode } from "./errors.ts";
export {
  type ExportedBarArea,
  type ExportedPool,
  type ExportedQueue,
  type ExportedRing,
  exportQueues,
  HANDOFF_FORMAT,
  type HandoffSource,
  type QueueHandoff,
  type ReclaimOptions,
} from "./handoff.ts";
export type { DeviceHealth } from "./health.ts";
export { decodeLinks, type LinkStatus } from "./link.ts";
export {
  formatMac,
  type IxgbeOptions,
  MAX_QUEUES,
  MAX_RING_SIZE,
  MIN_RING_SIZE,
  parseMac,
  type RssField,
  type RssOptions,
  type Timeouts,
} from "./options.ts";
export { type BufferPool, NO_BUFFER } from "./pool.ts";
export {
  DEFAULT_RSS_FIELDS,
  DEFAULT_RSS_KEY,
  mrqcValue,
  type RssSetup,
  retaWords,
  roundRobinTable,
  rssKeyWords,
  rssQueue,
  toeplitz,
} from "./rss.ts";
export { RX_BYTES, RX_CHAIN_DROPS, RX_NO_BUFFER, RX_PACKETS, RxQueue } from "./rx-queue.ts";
export { type DeviceSpec, parseSpec } from "./spec.ts";
export type { IxgbeStats, QueueStats } from "./stats.ts";
export { TX_BYTES, TX_CLEAN_BATCH, TX_PACKETS, TX_RING_FULL, TxQueue } from "./tx-queue.ts";
