// Four queue pairs per port, 64 flows per generator: RSS spreads the flows, every queue pair
// forwards, and the per-queue counters add up to the totals.
import { describe, expect, test } from "bun:test";
import {
  embeddedConfig,
  forwardOnce,
  hugepagesBack,
  hugepagesOfTree,
  missingNeeds,
  settings,
} from "./support/e2e.ts";

const why = missingNeeds(32);
const sum = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0);

describe.skipIf(why !== null)(`l2fwd over ixgbe-sim, 4 queues ${why ?? ""}`, () => {
  test("every queue forwards, per-queue counters sum to the totals, flows stay in order", async () => {
    const start = hugepagesOfTree();
    const config = embeddedConfig({ queues: 4, sim: { rate: "20k", flows: 64 } });
    const { summary: s, after } = await forwardOnce(config, settings(config, { duration: 1.5 }));
    const [q0, q1] = after.queues;
    if (q0 === undefined || q1 === undefined) throw new Error("no per-queue counts");
    for (const q of [q0, q1]) {
      expect(q.rx).toHaveLength(4);
      for (const n of [...q.rx, ...q.tx]) expect(n).toBeGreaterThan(0);
    }
    // What the driver's RX queues handed out is what the forwarder received: sent or dropped.
    expect(sum(q0.rx) + sum(q1.rx)).toBe(s.forwarded + s.txDropped);
    expect(sum(q0.tx) + sum(q1.tx)).toBe(s.forwarded);
    // Port 1 sends what port 0 received, queue by queue (the same queue number both ways).
    for (let q = 0; q < 4; q++) {
      expect(q1.tx[q] as number).toBeLessThanOrEqual(q0.rx[q] as number);
      expect(q0.tx[q] as number).toBeLessThanOrEqual(q1.rx[q] as number);
    }
    // The card received each frame it delivered, and counted the rest as drops.
    for (const [i, c] of after.counters.entries()) {
      const q = i === 0 ? q0 : q1;
      expect(c.rxPackets).toBe(sum(q.rx) + c.rxDropped);
    }
    const t = s.traffic;
    expect(t?.reordered).toBe(0); // RSS keeps a flow on one queue
    expect(t?.corrupted).toBe(0);
    expect(t?.generated).toBe((t?.received ?? 0) + s.rxDropped + s.txDropped);
    expect(s.verdict.ok).toBe(true);
    expect(await hugepagesBack(start)).toBe(start);
  }, 60_000);
});
