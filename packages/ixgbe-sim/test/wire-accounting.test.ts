/* The sink's building blocks: sequence accounting across u32 wrap and window edges; the latency histogram. */
import { describe, expect, test } from "bun:test";
import { LatencyHistogram } from "../src/wire/latency.ts";
import { GeneratorTrack } from "../src/wire/sequence.ts";

describe("GeneratorTrack", () => {
  test("sequence numbers wrap at 2^32 without loss", () => {
    const t = new GeneratorTrack();
    t.see(7, 0xfffffffd); // a flow first seen near the wrap point: 0..0xfffffffc count as lost
    const lostBefore = t.lost;
    expect(lostBefore).toBe(0xfffffffd);
    for (const s of [0xfffffffe, 0xffffffff, 0, 1, 2]) t.see(7, s);
    expect(t.lost).toBe(lostBefore);
    expect([t.reordered, t.duplicated, t.stale]).toEqual([0, 0, 0]);
    t.see(7, 0xffffffff); // a repeat from before the wrap, inside the window
    expect(t.duplicated).toBe(1);
  });

  test("late arrivals inside the 64-sequence window are reordered, older ones stale", () => {
    const t = new GeneratorTrack();
    t.see(1, 0);
    t.see(1, 100); // 1..99 missing
    expect(t.lost).toBe(99);
    t.see(1, 37); // 63 behind the newest: inside the window
    t.see(1, 36); // 64 behind: outside
    expect([t.reordered, t.stale, t.lost]).toEqual([1, 1, 98]);
    t.see(1, 37);
    expect(t.duplicated).toBe(1);
    t.see(2, 5); // another flow starting late: 0..4 missing
    t.see(2, 3);
    expect([t.lost, t.reordered, t.unique]).toEqual([98 + 5 - 1, 2, 5]);
  });
});

describe("LatencyHistogram", () => {
  test("percentiles are within 1/16 above the true value and never exceed the max", () => {
    const h = new LatencyHistogram();
    for (let v = 1; v <= 10000; v++) h.record(v * 1000); // 1 us .. 10 ms, uniform
    const s = h.summary();
    expect(s.samples).toBe(10000);
    expect(s.min).toBe(1000);
    expect(s.max).toBe(10_000_000);
    expect(s.mean).toBe(5_000_500);
    for (const [q, want] of [
      [s.p50, 5e6],
      [s.p90, 9e6],
      [s.p99, 9.9e6],
      [s.p999, 9.99e6],
    ] as const) {
      expect(q).toBeGreaterThanOrEqual(want);
      expect(q).toBeLessThanOrEqual(Math.min(want * (1 + 1 / 16), 1e7));
    }
    h.record(0);
    h.record(4294967295);
    expect(h.summary().max).toBe(4294967295);
    h.reset();
    expect(h.summary()).toEqual({
      samples: 0,
      min: 0,
      mean: 0,
      p50: 0,
      p90: 0,
      p99: 0,
      p999: 0,
      max: 0,
    });
  });
});
