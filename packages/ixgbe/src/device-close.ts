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

/** Stops all queues and DMA, then returns TX buffers in flight to their pools. */
export function stopDevice(mmio: Mmio, res: QueueResources, t: Timeouts): void {
  quiesce(mmio, res.rx.length, res.tx.length, t);
  for (const q of res.tx) q.releaseAll();
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
