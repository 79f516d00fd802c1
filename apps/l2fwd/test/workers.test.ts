// One Worker per queue pair over in-memory ports: counters, stop paths, errors, pinning.
import { afterEach, describe, expect, test } from "bun:test";
import { allowedCpus } from "@dataplane/sys";
import { L2fwdError } from "../src/errors.ts";
import { Counter } from "../src/forward.ts";
import { memoryPortPair } from "../src/memory-port.ts";
import type { PortSet } from "../src/port.ts";
import { type RunSettings, runForwarding } from "../src/run.ts";
import { createStopFlag } from "../src/signals.ts";
import { ForwardingWorkers, useWorkers } from "../src/workers.ts";
import { Running } from "./support/spawn.ts";

const settings = (o: Partial<RunSettings> = {}): RunSettings => ({
  batch: 32,
  queues: 2,
  mode: "touch",
  duration: 0.3,
  interval: 0.1,
  json: false,
  quiet: true,
  workers: "on",
  ...o,
});

const started: ForwardingWorkers[] = [];
const running: Running[] = [];
afterEach(async () => {
  for (const w of started.splice(0)) await w.shutdown().catch(() => {});
  for (const r of running.splice(0)) r.kill();
});

async function start(set: PortSet, queues: number, pin = false): Promise<ForwardingWorkers> {
  const w = await ForwardingWorkers.start(
    set,
    { queues, batch: 32, mode: "touch", pin },
    createStopFlag(),
  );
  started.push(w);
  return w;
}

async function until(done: () => boolean, ms = 20_000): Promise<void> {
  const end = performance.now() + ms;
  while (!done()) {
    if (performance.now() > end) throw new Error("timed out");
    await Bun.sleep(2);
  }
}

describe("choosing Workers", () => {
  test("auto uses them whenever the ports allow it, one queue pair included", () => {
    const plain = memoryPortPair({ queues: 2 });
    const able = memoryPortPair({ queues: 1, workers: true });
    expect(useWorkers(plain, "auto")).toBe(false);
    expect(useWorkers(able, "auto")).toBe(true);
    expect(useWorkers(able, "on")).toBe(true);
    expect(useWorkers(able, "off")).toBe(false);
    expect(() => useWorkers(plain, "on")).toThrow(/cannot be driven from Worker threads/);
  });
});

describe("per-worker counters", () => {
  for (const queues of [2, 4]) {
    test(`${queues} queue pairs: each Worker forwards its share; the sums are the port totals`, async () => {
      const frames = 4000;
      const set = memoryPortPair({ queues, frames, workers: true });
      const w = await start(set, queues);
      w.go();
      const [a, b] = set.ports;
      await until(() => b.stats().txPackets + a.stats().txPackets === 2 * frames);
      const c = w.forwarders.map((f) => f.counters);
      for (const k of c) {
        expect(k[Counter.RX_AB]).toBe(frames / queues); // RSS-like even split of the stream
        expect(k[Counter.RX_BA]).toBe(frames / queues);
      }
      const sum = (slot: number) => c.reduce((s, k) => s + (k[slot] as number), 0);
      expect(sum(Counter.RX_AB)).toBe(a.stats().rxPackets);
      expect(sum(Counter.TX_AB)).toBe(b.stats().txPackets);
      expect(sum(Counter.RX_BA)).toBe(b.stats().rxPackets);
      expect(sum(Counter.TX_BA)).toBe(a.stats().txPackets);
      expect(a.reordered + b.reordered + a.corrupted + b.corrupted).toBe(0);
      await w.shutdown();
    });
  }

  test("a run with Workers validates, and the TX limit travels with the pair", async () => {
    const set = memoryPortPair({ queues: 2, workers: true });
    set.ports[1].txLimit = 10; // a -> b takes 10 of every 32, in the Workers too
    const s = await runForwarding(set, settings(), new Int32Array(1), () => {});
    expect(s.forwarded).toBeGreaterThan(0);
    expect(s.txDropped).toBeGreaterThan(0);
    expect(s.traffic?.lost).toBe(s.txDropped);
    expect(s.traffic?.received).toBe(s.forwarded);
    expect(s.verdict).toEqual({ ok: true, validated: true, reasons: [] });
  });

  test("live statistics come from the Workers while they run", async () => {
    const lines: string[] = [];
    const set = memoryPortPair({ queues: 2, workers: true });
    await runForwarding(set, settings({ quiet: false, json: true }), new Int32Array(1), (l) =>
      lines.push(l),
    );
    const rows = lines.map((l) => JSON.parse(l));
    expect(rows.length).toBeGreaterThanOrEqual(2);
    expect(rows[0].ports[0].rxMpps).toBeGreaterThan(0);
  });
});

describe("stopping", () => {
  test("the stop flag (Ctrl-C) ends a run without a duration", async () => {
    const stop = createStopFlag();
    const set = memoryPortPair({ queues: 2, workers: true });
    setTimeout(() => Atomics.store(stop, 0, 1), 150);
    const t0 = performance.now();
    const s = await runForwarding(set, settings({ duration: 0 }), stop, () => {});
    expect(performance.now() - t0).toBeLessThan(2000);
    expect(s.forwarded).toBeGreaterThan(0);
    expect(s.verdict.ok).toBe(true);
  });

  test("SIGINT to the command stops its Workers and prints the summary", async () => {
    const r = new Running(["test/fixtures/memory-cli.ts", "-q", "2", "-d", "0", "-i", "0.1"]);
    running.push(r);
    await r.waitFor(/\d s\s+0\s/, 20_000);
    r.proc.kill("SIGINT");
    expect(await r.exit()).toBe(0);
    expect(r.out).toMatch(/validation\s+PASSED/);
    expect(r.err).toContain("ports closed");
  }, 60_000);
});

describe("failures", () => {
  const failing = (failAt: "attach" | "run") => {
    const inner = memoryPortPair({ queues: 2, workers: true });
    const handoff = inner.workers;
    if (!handoff) throw new Error("no workers");
    const set: PortSet = {
      ...inner,
      workers: {
        module: new URL("./fixtures/failing-ports.ts", import.meta.url).href,
        exportPair: (q) => ({ failAt, after: 50, pair: handoff.exportPair(q) }),
        reclaimPair: (q, force) => handoff.reclaimPair(q, force),
      },
    };
    return set;
  };

  test("an error while attaching surfaces in main with the Worker's stack", async () => {
    const err = await ForwardingWorkers.start(
      failing("attach"),
      { queues: 2, batch: 32, mode: "touch" },
      createStopFlag(),
    ).catch((e) => e);
    expect(err).toBeInstanceOf(L2fwdError);
    expect(err.code).toBe("WORKER");
    expect(err.message).toContain("boom while attaching");
    expect(err.message).toContain("failing-ports.ts");
  });

  test("an error while forwarding ends the run with the Worker's stack", async () => {
    const err = await runForwarding(
      failing("run"),
      settings({ duration: 5 }),
      new Int32Array(1),
      () => {},
    ).catch((e) => e);
    expect(err).toBeInstanceOf(L2fwdError);
    expect(err.message).toMatch(/queue pair \d failed: boom while forwarding/);
    expect(err.message).toContain("RangeError");
  });
});

test("--pin puts Worker i on the i-th allowed CPU", async () => {
  const cpus = allowedCpus();
  const w = await start(memoryPortPair({ queues: 2, workers: true }), 2, true);
  expect(w.cpus).toEqual([[cpus[0] as number], [cpus[1 % cpus.length] as number]]);
  expect(allowedCpus()).toEqual(cpus); // the main thread stays unpinned
  await w.shutdown();
});
