import { expect, test } from "bun:test";
import { memoryPortPair } from "../src/memory-port.ts";
import type { Port } from "../src/port.ts";
import { type RunSettings, runForwarding } from "../src/run.ts";

const settings = (o: Partial<RunSettings> = {}): RunSettings => ({
  batch: 32,
  queues: 1,
  mode: "touch",
  duration: 0.2,
  interval: 0.05,
  json: false,
  quiet: false,
  ...o,
});

test("runs for the duration, prints a header and rows, and validates clean traffic", async () => {
  const set = memoryPortPair();
  const lines: string[] = [];
  const s = await runForwarding(set, settings(), new Int32Array(1), (l) => lines.push(l));
  expect(lines[0]).toContain("rx Mpps");
  expect(lines.length).toBeGreaterThanOrEqual(3);
  expect(s.seconds).toBeGreaterThanOrEqual(0.2);
  expect(s.seconds).toBeLessThan(1);
  expect(s.forwarded).toBeGreaterThan(0);
  expect(s.traffic?.received).toBe(s.forwarded);
  expect(s.verdict).toEqual({ ok: true, validated: true, reasons: [] });
});

test("drops on a full TX ring are counted and explain the loss", async () => {
  const set = memoryPortPair({ queues: 2 });
  set.ports[1].txLimit = 10; // a -> b takes 10 of every 32
  const s = await runForwarding(
    set,
    settings({ queues: 2, quiet: true }),
    new Int32Array(1),
    () => {},
  );
  expect(s.txDropped).toBeGreaterThan(0);
  expect(s.ports[1]?.txDropped).toBe(s.txDropped);
  expect(s.traffic?.lost).toBe(s.txDropped);
  expect(s.verdict.ok).toBe(true);
});

test("frames that vanish without a counter fail validation", async () => {
  const set = memoryPortPair();
  const [, b] = set.ports;
  // A faulty port: claims to send every frame but silently frees every other one.
  const inner = b.txBatch.bind(b);
  const spare = new Uint32Array(512);
  const lossy: Port = {
    name: b.name,
    queues: b.queues,
    mac: b.mac,
    rxBatch: b.rxBatch.bind(b),
    pool: b.pool.bind(b),
    stats: b.stats.bind(b),
    txBatch(queue: number, bufs: Uint32Array, count: number): number {
      let kept = 0;
      let lost = 0;
      for (let i = 0; i < count; i++) {
        if (i % 2 === 0) bufs[kept++] = bufs[i] as number;
        else spare[lost++] = bufs[i] as number;
      }
      set.ports[0].pool(queue).freeBatch(spare, lost);
      inner(queue, bufs, kept);
      return count;
    },
  };
  const s = await runForwarding(
    { ...set, ports: [set.ports[0], lossy] },
    settings({ quiet: true }),
    new Int32Array(1),
    () => {},
  );
  expect(s.verdict.ok).toBe(false);
  expect(s.verdict.reasons[0]).toMatch(/lost frames are not explained by any count/);
  expect(s.ledger?.unexplained).toBeGreaterThan(0);
});

test("a set stop flag ends the run at once, with JSON lines when asked", async () => {
  const stop = new Int32Array(1);
  Atomics.store(stop, 0, 1);
  const lines: string[] = [];
  const s = await runForwarding(
    memoryPortPair(),
    settings({ duration: 0, json: true }),
    stop,
    (l) => lines.push(l),
  );
  expect(lines).toEqual([]); // no header in JSON mode, no interval reached
  expect(s.seconds).toBeLessThan(0.1);
});

test("needs exactly two ports", async () => {
  const set = memoryPortPair();
  await expect(
    runForwarding({ ...set, ports: [set.ports[0]] }, settings(), new Int32Array(1), () => {}),
  ).rejects.toThrow(/exactly two ports/);
});
