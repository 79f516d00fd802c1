/*
 * Per-queue access for IxgbeDevice outside the hot path: looking a queue up with the checks
 * callers get as errors, the parts handoff.ts works on, switching a TX queue's pool, sharing
 * an RX pool's memory and the interrupt-mode wait.
 */
import type { Mmio } from "@dataplane/pci";
import type { Backend, DmaBlock, ForeignMemory } from "./backend/types.ts";
import { IxgbeError } from "./errors.ts";
import type { QueueParts } from "./handoff.ts";
import type { RxInterrupts } from "./interrupts.ts";
import type { BufferPool } from "./pool.ts";
import type { QueueResources } from "./resources.ts";
import type { RxQueue } from "./rx-queue.ts";
import type { TxQueue } from "./tx-queue.ts";

/** Queue q of `list` ("RX" or "TX" in `dir`). Throws BAD_CONFIG when absent, HANDED_OFF. */
export function pickQueue<T>(list: T[], q: number, dir: string, name: string): T {
  const v = list[q];
  if (!Number.isInteger(q) || v === undefined) {
    throw new IxgbeError("BAD_CONFIG", `${dir} queue ${q} does not exist (0..${list.length - 1})`);
  }
  if ((v as { isSuspended?: boolean }).isSuspended === true) {
    throw new IxgbeError(
      "HANDED_OFF",
      `${dir} queue ${q} of ${name} is handed to a Worker; reclaimQueue(${q}) before using it here`,
    );
  }
  return v;
}

/** What handoff.ts needs about queue pair q. Throws BAD_CONFIG for a pair that does not exist. */
export function queueParts(res: QueueResources, bar0: Mmio, name: string, q: number): QueueParts {
  const rx = res.rx[q];
  const tx = res.tx[q];
  const rxArea = res.state?.rx[q];
  const txArea = res.state?.tx[q];
  if (!Number.isInteger(q) || !rx || !tx || !rxArea || !txArea) {
    throw new IxgbeError(
      "BAD_CONFIG",
      `queue pair ${q} does not exist (0..${Math.min(res.rx.length, res.tx.length) - 1})`,
    );
  }
  return {
    name,
    queue: q,
    bar0,
    rx,
    tx,
    rxRing: res.rxRings[q] as QueueParts["rxRing"],
    txRing: res.txRings[q] as QueueParts["txRing"],
    rxArea,
    txArea,
    allRx: res.rx,
    allTx: res.tx,
  };
}

/**
 * Points TX queue q at `pool` for completed buffers once nothing is in flight, mapping
 * `memory` (when given) through the back-end first. Throws BAD_CONFIG while buffers are in flight.
 */
export function switchTxPool(
  tx: TxQueue,
  q: number,
  pool: BufferPool,
  memory: ForeignMemory | undefined,
  backend: Backend,
): void {
  tx.clean();
  if (tx.inFlight !== 0) {
    throw new IxgbeError(
      "BAD_CONFIG",
      `TX queue ${q} still has ${tx.inFlight} buffers in flight; switch pools before sending`,
    );
  }
  if (memory !== undefined) backend.mapForeign(memory);
  tx.pool = pool;
}

/** The shareable description of RX queue q's pool block. Throws BAD_CONFIG without an fd. */
export function poolMemory(block: DmaBlock, q: number, name: string, kind: string): ForeignMemory {
  if (block.fd === undefined || block.fd < 0) {
    throw new IxgbeError(
      "BAD_CONFIG",
      `${name}: RX queue ${q}'s pool memory has no file descriptor to share (back-end ${kind})`,
    );
  }
  return {
    address: block.address,
    bytes: block.bytes,
    fd: block.fd,
    fdOffset: block.fdOffset ?? 0,
    iova: block.deviceAddress(0),
  };
}

/**
 * Blocks up to `timeoutMs` for a frame on RX queue `queue`; true when one is ready. Throws
 * BAD_CONFIG when the queue is not in interrupt mode.
 */
export function waitForFrame(
  rx: RxQueue,
  irqs: RxInterrupts | null,
  queue: number,
  timeoutMs: number,
): boolean {
  if (rx.ready()) return true;
  if (irqs === null || !irqs.has(queue)) {
    throw new IxgbeError(
      "BAD_CONFIG",
      `RX queue ${queue} is not in interrupt mode; open with interruptQueues: [${queue}]`,
    );
  }
  // A wake-up can be stale: its frame was taken by an rxBatch before this wait. Wait again
  // until a frame really is there or the time is up.
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const woke = irqs.wait(queue, Math.max(0, Math.ceil(deadline - performance.now())));
    if (rx.ready()) return true;
    if (!woke || performance.now() >= deadline) return false;
  }
}
