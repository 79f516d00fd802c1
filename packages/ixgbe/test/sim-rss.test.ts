/*
 * Against ixgbe-sim: RSS over 4 RX queues. For every received frame the test computes the
 * Toeplitz hash of its IPv4/UDP fields with the driver's exported toeplitz() and the key and
 * table the driver programmed, and checks the frame came in on that queue.
 */
import { expect, test } from "bun:test";
import { rssQueue, toeplitz } from "../src/index.ts";
import { frameIn } from "./support/sim-frames.ts";
import { describeSim, SimRig } from "./support/sim-rig.ts";

const QUEUES = 4;

describeSim("ixgbe-sim: RSS", (path) => {
  test("every frame lands on the queue the Toeplitz hash and RETA choose; every queue gets traffic", async () => {
    await using rig = await SimRig.start(path, { wires: ["gen:rate=200k,flows=256"] });
    const dev = await rig.open(0, { rxQueues: QUEUES, rxRingSize: 128, txRingSize: 64 });
    const rss = dev.rss;
    expect(rss).not.toBeNull();
    if (rss === null) return;
    expect(rss.table.length).toBe(128);

    const input = new Uint8Array(12);
    const perQueue = new Array<number>(QUEUES).fill(0);
    const flowsSeen = new Set<number>();
    const wrong: string[] = [];
    const bufs = new Uint32Array(32);
    const poll = (): number => {
      let any = 0;
      for (let q = 0; q < QUEUES; q++) {
        const pool = dev.rxPool(q);
        const n = dev.rxBatch(q, bufs, 32);
        any += n;
        for (let i = 0; i < n; i++) {
          const f = frameIn(pool, bufs[i] as number);
          // IPv4 source and destination (bytes 26..33), UDP ports (34..37), network order.
          input.set(f.subarray(26, 38));
          const want = rssQueue(toeplitz(rss.key, input), rss.table);
          const flow = ((f[46] as number) << 8) | (f[47] as number);
          if (want !== q && wrong.length < 5) wrong.push(`flow ${flow}: queue ${q}, want ${want}`);
          flowsSeen.add(flow);
        }
        perQueue[q] = (perQueue[q] as number) + n;
        pool.freeBatch(bufs, n);
      }
      return any;
    };
    const deadline = performance.now() + 4000;
    while (
      (perQueue.reduce((a, b) => a + b, 0) < 4000 || perQueue.some((n) => n === 0)) &&
      performance.now() < deadline
    ) {
      if (poll() === 0) await Bun.sleep(1);
    }
    // Stop the traffic (cable out), take what is left in the rings, then compare counters.
    rig.call(0, "link-down");
    await Bun.sleep(20);
    while (poll() > 0) await Bun.sleep(1);
    expect(wrong).toEqual([]);
    expect(perQueue.every((n) => n > 0)).toBe(true);
    expect(flowsSeen.size).toBe(256);
    // The hardware's per-queue counters saw the same split (slot q = queue q).
    const s = dev.readStats();
    expect(s.rxQueues.map((x) => x.packets)).toEqual(perQueue);
    expect(s.rxQueues.map((x) => x.swPackets)).toEqual(perQueue);
  }, 60_000);
});
