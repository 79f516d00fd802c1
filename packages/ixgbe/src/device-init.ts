/*
 * The datasheet's init sequence after the reset (datasheet §4.6.4 onwards), in the order IxgbeDevice
 * runs it at open and again on recover(): MAC, link, counters and RX setup with RSS, then TX,
 * then the queue enables, then RX on, filters and the link wait. The device keeps the steps'
 * results (RSS, interrupts) between the phases so a failure in a later phase still leaves
 * them where close() releases them.
 */
import type { Mmio } from "@dataplane/pci";
import type { Backend } from "./backend/types.ts";
import { RxInterrupts } from "./interrupts.ts";
import { initLink, waitForLink } from "./link.ts";
import { setPromiscuous, writeMac } from "./mac.ts";
import type { ResolvedOptions } from "./options.ts";
import { resetDevice } from "./reset.ts";
import type { QueueResources } from "./resources.ts";
import { disableRss, programRss, type RssSetup } from "./rss.ts";
import { enableRx, finishRxInit, initRxGlobal, initRxQueue, startRxQueue } from "./rx-init.ts";
import { mapQueueStats, type StatsAccumulator } from "./stats.ts";
import { enableTxDma, initTxGlobal, initTxQueue, startTxQueue } from "./tx-init.ts";

/**
 * Global reset, then MAC, link, counters, RX rings and RSS. With `recovering` the counters
 * are read into the totals instead of cleared (the reset just zeroed them). Returns the RSS
 * setup, or null when RSS is off (one RX queue or rss: false).
 */
export async function resetAndSetupRx(
  mmio: Mmio,
  o: ResolvedOptions,
  res: QueueResources,
  stats: StatsAccumulator,
  recovering: boolean,
  name: string,
): Promise<RssSetup | null> {
  await resetDevice(mmio, o.timeouts, name);
  if (o.macAddress !== null) writeMac(mmio, o.macAddress);
  initLink(mmio);
  stats.restarted(); // the reset cleared every counter, free-running ones included
  if (recovering) stats.update(mmio);
  else stats.clear(mmio);
  initRxGlobal(mmio);
  for (const [q, ring] of res.rxRings.entries()) initRxQueue(mmio, q, ring);
  finishRxInit(mmio, o.rxQueues);
  mapQueueStats(mmio, o.rxQueues, o.txQueues);
  if (o.rss !== false && o.rxQueues > 1) return programRss(mmio, o.rss, o.rxQueues);
  disableRss(mmio);
  return null;
}

/**
 * TX rings and TX DMA, then enables every RX queue and every TX queue, each polled until the
 * NIC confirms it.
 */
export async function setupTxAndStartQueues(
  mmio: Mmio,
  res: QueueResources,
  o: ResolvedOptions,
  name: string,
  recovering: boolean,
): Promise<void> {
  initTxGlobal(mmio);
  for (const [q, ring] of res.txRings.entries()) initTxQueue(mmio, q, ring);
  enableTxDma(mmio);
  for (const q of res.rx) await startRxQueue(mmio, q, o.timeouts.queueMs, name, recovering);
  for (const q of res.tx) await startTxQueue(mmio, q.id, o.timeouts.queueMs, name);
}

/** Interrupt mode for the RX queues the options name; null when none does. */
export function setupInterrupts(
  mmio: Mmio,
  backend: Backend,
  o: ResolvedOptions,
): RxInterrupts | null {
  return RxInterrupts.setup(
    mmio,
    backend.irq,
    o.interruptQueues,
    o.interruptThrottleUs,
    backend.name,
  );
}

/** Turns RX on, sets the unicast filter mode and, when asked, waits for the link. */
export async function goLive(mmio: Mmio, o: ResolvedOptions, name: string): Promise<void> {
  await enableRx(mmio);
  setPromiscuous(mmio, o.promiscuous);
  if (o.waitForLink) await waitForLink(mmio, o.timeouts.linkMs, name);
}
