import { describe, expect, test } from "bun:test";
import { QueueForwarder } from "../src/forward.ts";
import { memoryPortPair } from "../src/memory-port.ts";
import type { PortCounters } from "../src/port.ts";
import {
  gbps,
  intervalStats,
  judge,
  mpps,
  type Snapshot,
  summarize,
  takeSnapshot,
  WIRE_OVERHEAD_BYTES,
} from "../src/stats.ts";
import { trafficReport } from "./support/traffic.ts";

const counters = (rx: number, tx: number, dropped = 0, frameBytes = 64): PortCounters => ({
  rxPackets: rx,
  rxBytes: rx * frameBytes,
  txPackets: tx,
  txBytes: tx * frameBytes,
  rxDropped: dropped,
});
const snap = (
  timeNs: number,
  ports: PortCounters[],
  txDropped = [0, 0],
  forwarded = [0, 0],
): Snapshot => ({
  timeNs,
  ports,
  txDropped,
  forwarded,
});
const traffic = trafficReport;

describe("rates", () => {
  test("64-byte frames at 14.88 Mpps are 10 Gbit/s on the wire (20 bytes of overhead each)", () => {
    expect(WIRE_OVERHEAD_BYTES).toBe(20);
    const frames = 14_880_952;
    expect(gbps(frames, frames * 64, 1)).toBeCloseTo(10, 3);
    expect(gbps(812_743, 812_743 * 1518, 1)).toBeCloseTo(10, 2); // full-size frames
    expect(mpps(3_000_000, 2)).toBe(1.5);
    expect(mpps(5, 0)).toBe(0);
  });

  test("intervalStats turns two cumulative snapshots into per-port rates and drops", () => {
    const a = snap(1e9, [counters(100, 50), counters(10, 90, 1)], [0, 2]);
    const b = snap(3e9, [counters(2_000_100, 1_000_050, 5), counters(10, 4_000_090, 1)], [7, 12]);
    const s = intervalStats(a, b, 0);
    expect(s.seconds).toBe(2);
    expect(s.elapsed).toBe(3);
    expect(s.ports[0]).toEqual({
      rxMpps: 1,
      rxGbps: (2_000_000 * 84 * 8) / 2 / 1e9,
      txMpps: 0.5,
      txGbps: (1_000_000 * 84 * 8) / 2 / 1e9,
      rxDropped: 5,
      txDropped: 7,
    });
    expect(s.ports[1]?.txMpps).toBe(2);
    expect(s.ports[1]?.rxDropped).toBe(0);
    expect(s.ports[1]?.txDropped).toBe(10);
  });

  test("takeSnapshot attributes forwarder TX and drops to the sending port", () => {
    const { ports } = memoryPortPair({ frames: 40 });
    const [a, b] = ports;
    b.txLimit = 8; // a -> b: 8 of each 16 go out
    const f = new QueueForwarder({ a, b, queue: 0, batch: 16, mode: "touch" });
    f.step();
    const s = takeSnapshot(ports, [f], 5);
    expect(s.timeNs).toBe(5);
    expect(s.forwarded).toEqual([16, 8]);
    expect(s.txDropped).toEqual([0, 8]);
    expect(s.ports[1]?.txPackets).toBe(8);
    expect(s.ports[0]?.rxPackets).toBe(16);
  });
});

describe("summary and verdict", () => {
  test("summarize totals the run and passes clean traffic", () => {
    const first = snap(0, [counters(0, 0), counters(0, 0)]);
    const last = snap(2e9, [counters(1000, 990, 3), counters(1000, 995)], [10, 5], [990, 995]);
    const s = summarize(
      ["p0", "p1"],
      first,
      last,
      traffic({ generated: 2003, received: 1985, lost: 18 }),
      0,
    );
    expect(s.seconds).toBe(2);
    expect(s.forwarded).toBe(1985);
    expect(s.forwardedMpps).toBeCloseTo(1985 / 2 / 1e6, 12);
    expect(s.rxDropped).toBe(3);
    expect(s.txDropped).toBe(15);
    expect(s.ports[0]).toEqual({
      name: "p0",
      rxPackets: 1000,
      txPackets: 990,
      rxDropped: 3,
      txDropped: 10,
    });
    expect(s.verdict).toEqual({ ok: true, validated: true, reasons: [] });
  });

  test("loss the ledger does not explain fails, to the frame", () => {
    const ok = { lost: 100, cardDropped: 60, forwarderDropped: 0, inRings: 40, inCard: 0 };
    expect(judge(traffic({ lost: 100 }), { ...ok, unexplained: 0 }, 40).ok).toBe(true);
    const v = judge(traffic({ lost: 100 }), { ...ok, inRings: 39, unexplained: 1 }, 40);
    expect(v.ok).toBe(false);
    expect(v.reasons[0]).toContain("1 lost frames are not explained by any count");
    // Frames the rings lost are measured, and may not exceed what the rings can hold.
    const over = judge(traffic({ lost: 100 }), { ...ok, unexplained: 0 }, 39);
    expect(over.reasons).toEqual([
      "40 frames lost in the rings, outside 0..39 (what the rings can hold at the recoveries and at the end): the card's and the forwarder's counts disagree",
    ]);
  });

  test("corruption, duplicates, reordering, silence and the sink's own verdict fail", () => {
    const reasons = judge(
      traffic({ corrupted: 1, duplicated: 2, reordered: 3, sinkOk: false, sinkReasons: ["bad"] }),
      null,
      0,
    ).reasons;
    expect(reasons).toEqual([
      "1 frames arrived corrupted",
      "2 frames arrived twice",
      "3 frames arrived out of order",
      "sink: bad",
    ]);
    expect(judge(traffic({ generated: 0, received: 0 }), null, 0).reasons).toEqual([
      "the generators sent no frames",
    ]);
    expect(judge(traffic({ received: 0, lost: 1000 }), null, 0).reasons).toEqual([
      "the sinks received no frames",
    ]);
  });

  test("without a generator/sink the run is not validated and does not fail", () => {
    expect(judge(null, null, 0)).toEqual({ ok: true, validated: false, reasons: [] });
  });
});
