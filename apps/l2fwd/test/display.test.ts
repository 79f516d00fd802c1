import { expect, test } from "bun:test";
import {
  formatInterval,
  formatNs,
  formatSummary,
  intervalHeader,
  intervalJson,
  summaryJson,
} from "../src/display.ts";
import type { IntervalStats, RunSummary } from "../src/stats.ts";

const interval: IntervalStats = {
  elapsed: 3.0004,
  seconds: 1,
  ports: [
    {
      rxMpps: 14.88,
      rxGbps: 9.999,
      txMpps: 1.23456,
      txGbps: 0.8296,
      rxDropped: 12345,
      txDropped: 0,
    },
    { rxMpps: 0, rxGbps: 0, txMpps: 14.88, txGbps: 9.999, rxDropped: 0, txDropped: 7 },
  ],
};

const summary = (over: Partial<RunSummary> = {}): RunSummary => ({
  seconds: 10,
  ports: [
    {
      name: "vfio-user:/p0",
      rxPackets: 1_000_000,
      txPackets: 999_000,
      rxDropped: 0,
      txDropped: 1000,
    },
    { name: "vfio-user:/p1", rxPackets: 999_000, txPackets: 1_000_000, rxDropped: 0, txDropped: 0 },
  ],
  forwarded: 1_999_000,
  forwardedMpps: 0.1999,
  rxDropped: 0,
  txDropped: 1000,
  traffic: {
    generated: 2_000_000,
    received: 1_999_000,
    lost: 1000,
    reordered: 0,
    duplicated: 0,
    corrupted: 0,
    latencyNs: { p50: 850, p90: 12_300, p99: 45_600, p999: 1_234_000, max: 2_500_000 },
    sinkOk: true,
    sinkReasons: [],
    card: {
      drops: { queueDisabled: 400, noDescriptor: 0 },
      delivered: 1_999_000,
      transmitted: 1_998_000,
      txDropped: 0,
      waiting: 0,
    },
  },
  ledger: {
    lost: 1000,
    cardDropped: 400,
    forwarderDropped: 500,
    inRings: 100,
    inCard: 0,
    unexplained: 0,
  },
  inFlightAllowance: 2048,
  verdict: { ok: true, validated: true, reasons: [] },
  ...over,
});

test("live table: header, one aligned row per port, time on the first row", () => {
  const header = intervalHeader();
  expect(header).toContain("rx Mpps");
  expect(header).toContain("tx Gbit/s");
  const rows = formatInterval(interval).split("\n");
  expect(rows).toHaveLength(2);
  expect(rows[0]).toMatch(/^\s+3\.0 s\s+0\s+14\.880\s+9\.999\s+1\.235\s+0\.830\s+12,345\s+0$/);
  expect(rows[1]).toMatch(/^\s+1\s+0\.000\s+0\.000\s+14\.880\s+9\.999\s+0\s+7$/);
  expect(rows[0]?.length).toBe(header.length);
});

test("JSON lines parse back with the same numbers", () => {
  const j = JSON.parse(intervalJson(interval));
  expect(j.type).toBe("interval");
  expect(j.ports[0]).toEqual({
    port: 0,
    rxMpps: 14.88,
    rxGbps: 9.999,
    txMpps: 1.2346,
    txGbps: 0.8296,
    rxDropped: 12345,
    txDropped: 0,
  });
  const s = JSON.parse(summaryJson(summary()));
  expect(s.type).toBe("summary");
  expect(s.traffic.latencyNs.p99).toBe(45_600);
  expect(s.verdict.ok).toBe(true);
  expect(intervalJson(interval)).not.toContain("\n");
});

test("summary text lists counts, latency percentiles and the verdict", () => {
  const text = formatSummary(summary(), "batch 32, ring 512, 1 queue, mode touch");
  expect(text).toContain("Summary after 10.0 s (batch 32, ring 512, 1 queue, mode touch)");
  expect(text).toContain("1,999,000 frames (0.200 Mpps)");
  expect(text).toMatch(/generated\s+2,000,000/);
  expect(text).toMatch(/lost\s+1,000/);
  // Where they went: the card's drops by reason (zero reasons left out), forwarder, rings.
  expect(text).toMatch(
    /accounted\s+card 400 \(queueDisabled 400\) \+ forwarder 500 \+ in rings 100 \(up to 2,048\)$/m,
  );
  expect(text).toContain("p50 850 ns, p90 12.3 us, p99 45.6 us, p99.9 1.23 ms, max 2.50 ms");
  expect(text).toMatch(/validation\s+PASSED/);
  const failed = formatSummary(
    summary({ verdict: { ok: false, validated: true, reasons: ["3 frames arrived twice"] } }),
    "x",
  );
  expect(failed).toContain("FAILED\n    - 3 frames arrived twice");
  const none = formatSummary(
    summary({ traffic: null, verdict: { ok: true, validated: false, reasons: [] } }),
    "x",
  );
  expect(none).toContain("not validated");
  expect(none).not.toContain("latency");
});

test("formatNs picks a unit", () => {
  expect(formatNs(999)).toBe("999 ns");
  expect(formatNs(1500)).toBe("1.5 us");
  expect(formatNs(2_345_678)).toBe("2.35 ms");
});
