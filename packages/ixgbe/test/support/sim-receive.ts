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
