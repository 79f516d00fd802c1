// Generator -> port 0 -> l2fwd -> port 1 -> sink and back, through the ixgbe driver and an
// ixgbe-sim process: clean below saturation, and drops that add up exactly above it.
import { describe, expect, test } from "bun:test";
import {
  embeddedConfig,
  forwardOnce,
  hugepagesBack,
  hugepagesOfTree,
  missingNeeds,
  pagesFor,
  settings,
} from "./support/e2e.ts";

const why = missingNeeds(28);

describe.skipIf(why !== null)(`l2fwd over ixgbe-sim ${why ?? ""}`, () => {
  for (const size of [60, 1514]) {
    test(`${size + 4}-byte frames below saturation: every frame arrives, intact and in order`, async () => {
      const start = hugepagesOfTree();
      // Rings of 2048 ride out ~200 ms of scheduling noise on a shared 2-core machine.
      const config = embeddedConfig({ ringSize: 2048, sim: { rate: "10k", size } });
      expect(pagesFor(config)).toBeLessThanOrEqual(24);
      const {
        summary: s,
        set,
        after,
      } = await forwardOnce(config, settings(config, { duration: 1.5 }));
      const t = s.traffic;
      expect(t).not.toBeNull();
      if (t === null) return;
      // 2 x 10k/s for 1.5 s; a model starved of CPU by other jobs makes fewer, never more.
      expect(t.generated).toBeGreaterThan(5000);
      expect(t.generated).toBeLessThanOrEqual(2 * 10_000 * 1.7);
      expect(t.received).toBe(t.generated);
      expect(t.lost + t.reordered + t.duplicated + t.corrupted).toBe(0);
      expect(s.rxDropped + s.txDropped).toBe(0);
      expect(s.forwarded).toBe(t.received);
      for (const p of s.ports) expect(p.txPackets).toBeGreaterThan(2000); // both directions
      // The card's RX octets (GORC) leave the CRC out while it strips it (HLREG0.RXCRCSTRP):
      // the frame size without CRC.
      for (const c of after.counters) expect(c.rxBytes / c.rxPackets).toBe(size);
      expect(s.verdict).toEqual({ ok: true, validated: true, reasons: [] });
      expect(set.sim?.handle.pid).toBeGreaterThan(0);
      expect(await hugepagesBack(start)).toBe(start);
    }, 60_000);
  }

  test("one model process per port (--sim-process-per-port): every frame arrives, in order", async () => {
    const start = hugepagesOfTree();
    const config = embeddedConfig({
      ringSize: 2048,
      sim: { rate: "10k", size: 60, processPerPort: true },
    });
    const { summary: s, set } = await forwardOnce(config, settings(config, { duration: 1.5 }));
    const t = s.traffic;
    expect(t).not.toBeNull();
    if (t === null) return;
    expect(t.generated).toBeGreaterThan(5000);
    expect(t.received).toBe(t.generated);
    expect(t.lost + t.reordered + t.duplicated + t.corrupted).toBe(0);
    expect(s.forwarded).toBe(t.received);
    for (const p of s.ports) expect(p.txPackets).toBeGreaterThan(2000);
    expect(s.verdict).toEqual({ ok: true, validated: true, reasons: [] });
    // The front started one process per port (its log line; the processes are gone by now).
    expect(set.sim?.handle.stderr()).toMatch(/serving 2 port\(s\), one process each/);
    expect(await hugepagesBack(start)).toBe(start);
  }, 60_000);

  test("above saturation: generated = received + card drops + l2fwd drops, exactly", async () => {
    const start = hugepagesOfTree();
    const config = embeddedConfig({ ringSize: 256, sim: { rate: "max" } });
    const { summary: s } = await forwardOnce(config, settings(config, { duration: 1.5 }));
    const t = s.traffic;
    expect(t).not.toBeNull();
    if (t === null) return;
    expect(s.rxDropped).toBeGreaterThan(0); // the generators outrun the forwarder
    expect(s.txDropped).toBeGreaterThan(0); // and its TX rings fill up
    expect(t.generated).toBe(t.received + s.rxDropped + s.txDropped);
    // The card's registers (MPC, GPRC - RXDGPC) and the model's own reasons agree.
    expect(t.cardDropped).toBe(s.rxDropped);
    expect(s.forwarded).toBe(t.received);
    expect(t.reordered + t.duplicated + t.corrupted).toBe(0);
    expect(s.verdict.ok).toBe(true);
    expect(await hugepagesBack(start)).toBe(start);
  }, 60_000);
});
