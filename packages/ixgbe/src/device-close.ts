/*
 * IxgbeDevice.close() in steps: take back queues still in Workers, stop the device, then the
 * caller's releases. Every step runs even when an earlier one threw (a device that no longer
 * answers must still give back its memory and fds); the first error is reported at the end.
 */
import type { Mmio } from "@dataplane/pci";
import { queueParts } from "./device-queues.ts";
import { IxgbeError } from "./errors.ts";
import { isHandedOff, reclaimQueue, releaseAbandoned } from "./handoff.ts";
import type { Timeouts } from "./options.ts";
import { quiesce } from "./reset.ts";
import type { QueueResources } from "./resources.ts";
import type { RxQueue } from "./rx-queue.ts";

/**
 * Queues still handed off at close: their Workers must be gone (their memory is about to be
 * unmapped); takes them back by force so the pools' blocks are released.
 */
export function takeBackAll(res: QueueResources, bar0: Mmio, name: string): void {
  const n = Math.min(res.rx.length, res.tx.length);
  for (let q = 0; q < n; q++) {
    const rx = res.rx[q] as RxQueue;
    if (isHandedOff(rx)) reclaimQueue(queueParts(res, bar0, name, q), { force: true });
    releaseAbandoned(rx);
  }
}

/**
 * Stops all queues and DMA, then returns TX buffers in flight to their pools. Throws
 * DEVICE_FAULT (after the buffers went back) when a queue or the reset did not confirm in time:
 * the caller still releases everything, but the card may not have stopped its DMA.
 */
export function stopDevice(mmio: Mmio, res: QueueResources, t: Timeouts, name: string): void {
  const stopped = quiesce(mmio, res.rx.length, res.tx.length, t);
  for (const q of res.tx) q.releaseAll();
  if (!stopped) {
    throw new IxgbeError(
      "DEVICE_FAULT",
      `${name}: a queue did not read disabled within ${t.queueMs} ms or the reset did not finish within ${t.resetMs} ms, ` +
        "so the card may still be doing DMA; reset it (power-cycle or re-bind) before reusing this memory",
    );
  }
}

/** Runs every step; throws DEVICE_FAULT with the first error as cause if any step threw. */
export function runAllSteps(name: string, steps: readonly (() => void)[]): void {
  const errors: unknown[] = [];
  for (const f of steps) {
    try {
      f();
    } catch (e) {
      errors.push(e);
    }
  }
  if (errors.length > 0) {
    throw new IxgbeError("DEVICE_FAULT", `closing ${name}: ${(errors[0] as Error).message}`, {
      cause: errors[0],
    });
  }
}
