/*
 * The forwarder's performance report: 64-byte frames at batch sizes 1..256 with 1 and 2 queue
 * pairs, written as markdown, JSON and an SVG plot (docs/perf/ holds the committed one).
 *
 *   bun run bench:l2fwd                      against the embedded ixgbe-sim model
 *   bun run bench:l2fwd --backend memory     the forwarding loop alone, over in-memory ports
 *
 * Options (--help): --seconds <s per run> (2), --warmup <s per point> (0.5), --repeat <runs per
 * point> (3), --batches 1,2,...,256, --queues 1,2, --out <dir> (default: a new temporary
 * directory; --out docs/perf regenerates the committed report). Each point is the median of its
 * runs: on a small shared machine single runs scatter widely.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { z } from "zod";
import { buildConfig } from "../src/args.ts";
import { ensureHugepages, hugepagesNeeded } from "../src/hugepages.ts";
import { memoryPortPair } from "../src/memory-port.ts";
import type { PortSet } from "../src/port.ts";
import { openPorts } from "../src/ports.ts";
import { describeMachine, machineInfo } from "../src/report/machine.ts";
import { type PerfPoint, renderPlot } from "../src/report/svg.ts";
import { type PerfReport, reportJson, reportMarkdown } from "../src/report/table.ts";
import { runForwarding } from "../src/run.ts";
import { gbps } from "../src/stats.ts";
import { intIn, intList, numberIn, parseBenchArgs } from "./bench-args.ts";

const FRAME_BYTES = 64; // on the wire, CRC included: 60 bytes of frame data

const USAGE = `usage: bun run bench:l2fwd [options]

Forwards 64-byte frames at each batch size and queue count, prints one line per point (the
median of --repeat runs), and writes a report (markdown, JSON, SVG plot).

  --backend sim|memory   sim: l2fwd on the driver against the embedded ixgbe-sim;
                         memory: the forwarding loop alone over in-memory ports    [sim]
  --seconds S            seconds per run, more than 0 and at most 3600             [2]
  --warmup S             seconds of warm-up per point, 0..3600                     [0.5]
  --repeat N             runs per point (the median is reported), 1..100           [3]
  --batches LIST         batch sizes, comma-separated, each 1..512   [1,2,4,8,16,32,64,128,256]
  --queues LIST          queue pair counts, comma-separated, each 1..16            [1,2]
  --out DIR              where the report goes (docs/perf to update the committed one)
                         [a new directory under the system's temporary directory]
  -h, --help             this text`;

const Options = z.object({
  backend: z.enum(["sim", "memory"]).default("sim"),
  seconds: numberIn("--seconds", 0, 3600, true).default(2),
  warmup: numberIn("--warmup", 0, 3600).default(0.5),
  repeat: intIn("--repeat", 1, 100).default(3),
  batches: intList("--batches", 1, 512).default([1, 2, 4, 8, 16, 32, 64, 128, 256]),
  queues: intList("--queues", 1, 16).default([1, 2]),
  out: z.string().min(1).optional(),
});
const parsed = {
  data: parseBenchArgs(
    "bench:l2fwd",
    USAGE,
    process.argv.slice(2),
    ["backend", "seconds", "warmup", "repeat", "batches", "queues", "out"],
    Options,
  ),
};
const { backend, seconds, warmup, repeat } = parsed.data;
const batches = parsed.data.batches;
const queueCounts = parsed.data.queues;
// The committed report is rewritten only when asked for (--out docs/perf).
const outDir = parsed.data.out ?? mkdtempSync(join(tmpdir(), "bench-l2fwd-"));

async function open(queues: number, batch: number): Promise<{ set: PortSet; release: () => void }> {
  if (backend === "memory")
    return { set: memoryPortPair({ queues, frameSize: FRAME_BYTES - 4 }), release: () => {} };
  const config = buildConfig(
    {},
    { batch, queues, sim: { size: FRAME_BYTES - 4, rate: "max", flows: 64 } },
    new Set(["batch", "queues", "sim"]),
  );
  const pre = ensureHugepages(hugepagesNeeded(config));
  try {
    const set = await openPorts(config);
    return { set, release: () => pre.restore?.() };
  } catch (e) {
    pre.restore?.();
    throw e;
  }
}

async function measure(queues: number, batch: number, duration: number): Promise<PerfPoint> {
  const { set, release } = await open(queues, batch);
  try {
    const settings = {
      batch,
      queues,
      mode: "touch" as const,
      duration,
      interval: 3600,
      json: false,
      quiet: true,
      workers: "off" as const, // the forwarder on one thread, as the report describes
    };
    const s = await runForwarding(set, settings, new Int32Array(1), () => {});
    return {
      queues,
      batch,
      mpps: s.forwardedMpps,
      gbps: gbps(s.forwarded, s.forwarded * FRAME_BYTES, s.seconds),
    };
  } finally {
    set.close();
    release();
  }
}

const points: PerfPoint[] = [];
try {
  for (const q of queueCounts) {
    for (const b of batches) {
      // Let the JIT settle on this batch size first (a duration of 0 would mean "until stopped").
      if (warmup > 0) await measure(q, b, warmup);
      const runs: PerfPoint[] = [];
      for (let r = 0; r < repeat; r++) runs.push(await measure(q, b, seconds));
      runs.sort((x, y) => x.mpps - y.mpps);
      const p = runs[runs.length >> 1] as PerfPoint;
      points.push(p);
      console.log(
        `queues ${q}  batch ${String(b).padStart(3)}  ${p.mpps.toFixed(3)} Mpps  ${p.gbps.toFixed(2)} Gbit/s  (runs ${runs.map((x) => x.mpps.toFixed(2)).join(" ")})`,
      );
    }
  }
} catch (e) {
  console.error(`bench:l2fwd: ${(e as Error).message}`);
  process.exit(1);
}

const machine = machineInfo();
const memory = backend === "memory";
const report: PerfReport = {
  title: memory ? "l2fwd forwarding loop over in-memory ports" : "l2fwd against ixgbe-sim",
  what: memory
    ? "Frames forwarded per second by the forwarding loop alone (touch mode, both directions), over in-memory ports that produce and consume frames without a device: the loop's own ceiling. Queue pairs are polled round-robin by one thread."
    : `Frames forwarded per second (touch mode, both directions, generators at rate=max with 64 UDP flows each) by l2fwd on the ixgbe driver between two vfio-user ports of the embedded ixgbe-sim model. The model is a second process on the same machine: its generators, DMA engine and sinks busy-poll one core while l2fwd polls the other, so the figures are bounded by the model as much as by the forwarder. Both queue pairs of the 2-queue line are polled by l2fwd's one thread (RSS spreads the flows over them). Each point is the median of ${repeat} runs of ${seconds} s, each against a freshly started model.`,
  command: `bun run bench:l2fwd${memory ? " --backend memory" : ""} --seconds ${seconds} --repeat ${repeat}`,
  date: new Date().toISOString(),
  machine,
  frameBytes: FRAME_BYTES,
  secondsPerPoint: seconds,
  points,
};
const base = memory ? "l2fwd-memory" : "l2fwd";
mkdirSync(outDir, { recursive: true });
writeFileSync(join(outDir, `${base}.json`), reportJson(report));
writeFileSync(join(outDir, `${base}.md`), reportMarkdown(report, `${base}.svg`));
writeFileSync(
  join(outDir, `${base}.svg`),
  renderPlot(points, {
    title: report.title,
    subtitle: `${FRAME_BYTES}-byte frames, ${describeMachine(machine)}`,
  }),
);
console.log(`wrote ${join(outDir, base)}.{md,json,svg}`);
