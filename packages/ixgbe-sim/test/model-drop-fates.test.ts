/*
 * Every frame the model takes from the wire has one recorded fate: delivered, waiting in the
 * packet buffer, or dropped for a named reason. Checked across the paths that used to lose
 * frames without a count: a device reset that empties the packet buffer, a ring DMA fault that
 * stops the queue under a frame, and a power cycle that replaces the model.
 */
import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import * as R from "@dataplane/ixgbe/regs";
import type { PortStats } from "../src/model/stats-report.ts";
import { PowerHistory } from "../src/runtime/power-history.ts";
import { initPort, rawFrame, setupRx } from "./conformance/host.ts";
import { inProcessFactory } from "./conformance/in-process.ts";
import type { ConformanceTarget } from "./conformance/target.ts";

/** Frames taken from the wire minus every fate the stats give them: 0 when none vanished. */
function unaccounted(s: PortStats): number {
  const dropped = Object.values(s.rx.dropped).reduce((a, b) => a + b, 0);
  return s.rx.frames - s.rx.delivered - s.rx.waiting - dropped;
}

describe("drop fates", () => {
  let t: ConformanceTarget;
  beforeEach(() => {
    t = inProcessFactory()({ linkUpDelayMs: 1 });
    initPort(t);
  });
  afterEach(() => t.close());

  test("a device reset drops the frames waiting in the packet buffer, counted as reset", () => {
    setupRx(t, 0, { count: 64, give: 0, dropEn: false }); // no descriptor: frames are held
    for (let i = 0; i < 10; i++) t.inject(rawFrame(60, undefined, i));
    t.run(2);
    expect(t.control.stats().rx.waiting).toBe(10);
    t.write32(R.CTRL, R.CTRL_RST_MASK);
    t.run(1);
    const s = t.control.stats();
    expect(s.rx.waiting).toBe(0);
    expect(s.rx.dropped.reset).toBe(10);
    expect(unaccounted(s)).toBe(0);
  });

  test("the frame that meets an RX ring DMA fault is dropped as queueDisabled, like the rest", () => {
    setupRx(t, 0, { count: 64 });
    t.control.injectDmaFault({ count: 1, targets: ["rx-ring"] });
    for (let i = 0; i < 5; i++) t.inject(rawFrame(60, undefined, i));
    t.run(2);
    const s = t.control.stats();
    expect(s.queuesStopped).toBe(1);
    expect(s.rx.delivered).toBe(0);
    expect(s.rx.dropped.queueDisabled).toBe(5);
    expect(unaccounted(s)).toBe(0);
  });
});

describe("PowerHistory", () => {
  test("sums the retired models' frames; frames left in the packet buffer count as reset drops", () => {
    const h = new PowerHistory();
    const model = (waiting: number, delivered: number) =>
      ({
        rx: {
          frames: 100,
          delivered,
          waiting,
          dropped: { linkDown: 1, noDescriptor: 100 - delivered - waiting - 1, reset: 0 },
        },
        tx: { frames: 7, dropped: { malformed: 1, dmaFault: 0 } },
      }) as unknown as PortStats;
    h.retire(model(3, 90));
    h.retire(model(0, 80));
    expect(h.counts).toEqual({
      powerCycles: 2,
      rx: { frames: 200, delivered: 170, dropped: { linkDown: 2, noDescriptor: 25, reset: 3 } },
      tx: { frames: 14, dropped: { malformed: 2, dmaFault: 0 } },
    });
  });
});
