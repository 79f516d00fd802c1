/*
 * What the main thread and a forwarding Worker share: the control words of one set of Workers
 * (an Int32Array over a SharedArrayBuffer), the start message and the reports.
 */
import type { ForwardMode } from "./forward.ts";

/** Control word (Int32, shared with every Worker): stop generated traffic, keep forwarding. */
export const CONTROL_DRAIN = 0;
/** Control word: set after the drain: detach and finish. */
export const CONTROL_STOP = 1;
/** Control word: set once the main thread took its first snapshot: start forwarding. */
export const CONTROL_GO = 2;
/**
 * Control word: Workers that may still touch port memory. The main thread adds one before it
 * sends a Worker its queue pair; the Worker takes it away once it detached (or failed).
 */
export const CONTROL_BUSY = 3;

/** What worker-main.ts receives first. */
export interface WorkerStart {
  readonly index: number;
  /** Queue pair number on the main thread's ports. */
  readonly queue: number;
  /** The WorkerHandoff module to import, and what its attachPorts gets. */
  readonly module: string;
  readonly data: unknown;
  readonly batch: number;
  readonly mode: ForwardMode;
  /** CPU to pin to, or null. */
  readonly cpu: number | null;
  /** Int32 words CONTROL_DRAIN, CONTROL_STOP, CONTROL_GO, CONTROL_BUSY. */
  readonly control: SharedArrayBuffer;
  /** The run's stop flag (Ctrl-C) when it lives in shared memory; seen like CONTROL_DRAIN. */
  readonly stop: SharedArrayBuffer | null;
  /** COUNTER_SLOTS float64 per Worker, Worker `index` at index * COUNTER_SLOTS. */
  readonly counters: SharedArrayBuffer;
}

/** What a Worker reports. */
export type WorkerReport =
  | { readonly type: "ready"; readonly cpus: readonly number[] }
  | { readonly type: "done"; readonly loops: number }
  | { readonly type: "error"; readonly message: string; readonly stack?: string };
