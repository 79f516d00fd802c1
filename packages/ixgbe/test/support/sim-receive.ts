/* Receiving on every RX queue of a device against the simulator, counting what came in. */
import type { IxgbeDevice } from "../../src/index.ts";

/** Receives on every queue for `ms`, reading statistics every 20 ms; returns the reads. */
export async function receive(
  dev: IxgbeDevice,
  perQueue: number[],
  bytes: number[],
  ms: number,
): Promise<number> {
  const bufs = new Uint32Array(32);
  let reads = 0;
  let nextRead = performance.now() + 20;
  const end = performance.now() + ms;
  while (performance.now() < end) {
    let any = 0;
    for (let q = 0; q < dev.rxQueues; q++) {
      const pool = dev.rxPool(q);
      const n = dev.rxBatch(q, bufs, 32);
      for (let i = 0; i < n; i++)
        bytes[q] = (bytes[q] as number) + (pool.len[bufs[i] as number] as number);
      perQueue[q] = (perQueue[q] as number) + n;
      pool.freeBatch(bufs, n);
      any += n;
    }
    if (performance.now() >= nextRead) {
      dev.readStats();
      reads++;
      nextRead += 20;
    }
    if (any === 0) await Bun.sleep(0);
  }
  return reads;
}

/**
 * After the traffic stopped: receives until every frame the model says it delivered was taken
 * and the driver's per-queue packet counters show exactly what each queue received. No fixed
 * wait stands in for either: the model finishes its DMA and publishes its counters at its own
 * pace, later on a busy machine.
 */
export async function drainAndSettle(
  dev: IxgbeDevice,
  perQueue: number[],
  bytes: number[],
  delivered: () => number,
  timeoutMs = 20_000,
): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    await receive(dev, perQueue, bytes, 5);
    const total = perQueue.reduce((a, b) => a + b, 0);
    if (total === delivered()) {
      const s = dev.readStats();
      if (s.rxQueues.every((q, i) => q.packets === perQueue[i])) return;
    }
    if (performance.now() > deadline) {
      throw new Error(
        `after ${timeoutMs} ms: received ${total} of ${delivered()} delivered frames, ` +
          `counters ${dev
            .readStats()
            .rxQueues.map((q) => q.packets)
            .join("/")} vs received ${perQueue.join("/")}`,
      );
    }
  }
}
