/*
 * The handoff's wire format: what exportQueues() posts to a Worker and attachQueues() reads
 * there. Numbers and strings only, so it survives structured cloning; addresses are native
 * addresses in the exporting process, which the Worker shares.
 */
import type { ExportedPool } from "./pool-handoff.ts";

export type { ExportedPool } from "./pool-handoff.ts";

/** One ring of an exported queue. Addresses are native addresses in this process. */
export interface ExportedRing {
  /** Descriptor 0. */
  readonly ring: number;
  /** Descriptors in the ring (a power of two). */
  readonly size: number;
  /** The queue's state area: counters, state words, slot table (queue-state.ts). */
  readonly area: number;
  /** RDT/TDT byte offset in BAR0. */
  readonly tailOffset: number;
  /** Index into QueueHandoff.pools of the pool this ring takes from (RX) or frees to (TX). */
  readonly pool: number;
}

/**
 * A directly mapped part of BAR0 that holds doorbells: all of BAR0 (kernel VFIO, sysfs) or
 * one mmappable area (vfio-user maps only the queue register pages).
 */
export interface ExportedBarArea {
  /** Native address, in this process, of the area's first byte. */
  readonly address: number;
  /** BAR0 offset of that byte. */
  readonly offset: number;
  /** Length in bytes. */
  readonly bytes: number;
}

/** RX q + TX q of one device, as exported. */
export interface ExportedQueue {
  /** Device name, for messages. */
  readonly device: string;
  readonly queue: number;
  /** The mapped BAR0 area(s) holding RDT(q) and TDT(q), each once. */
  readonly bar: readonly ExportedBarArea[];
  readonly rx: ExportedRing;
  readonly tx: ExportedRing;
}

/** What exportQueues returns and attachQueues takes: numbers and strings only. */
export interface QueueHandoff {
  readonly format: typeof HANDOFF_FORMAT;
  readonly pools: readonly ExportedPool[];
  readonly queues: readonly ExportedQueue[];
}

/** QueueHandoff.format of this version. */
export const HANDOFF_FORMAT = "ixgbe-queue-handoff/2";
