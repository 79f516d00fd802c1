/*
 * The first half of IxgbeDevice.recover(): refuse while a queue is in a Worker, keep the
 * counters' current values (the coming reset clears them), stop what still runs and take
 * back TX buffers in flight. The device then runs its init sequence again over the same rings.
 */
import type { Mmio } from "@dataplane/pci";
import { IxgbeError } from "./errors.ts";
import type { Timeouts } from "./options.ts";
import { quiesce } from "./reset.ts";
import type { QueueResources } from "./resources.ts";
import type { StatsAccumulator } from "./stats.ts";

/** Stops the device for a re-init. Throws HANDED_OFF while a queue is handed to a Worker. */
export function stopForRecovery(
  mmio: Mmio,
  res: QueueResources,
  stats: StatsAccumulator,
  t: Timeouts,
  name: string,
): void {
  const away = res.rx.findIndex((q) => q.isSuspended);
  if (away >= 0) {
    throw new IxgbeError(
      "HANDED_OFF",
      `${name}: queue ${away} is handed to a Worker; reclaimQueue(${away}) before recover()`,
    );
  }
  stats.update(mmio); // a reset clears the counters: keep what they hold now
  quiesce(mmio, res.rx.length, res.tx.length, t);
  for (const q of res.tx) q.rewind();
}
