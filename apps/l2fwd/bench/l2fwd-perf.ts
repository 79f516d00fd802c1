/*
 * The forwarder's performance report: 64-byte frames at batch sizes 1..256 with 1 and 2 queue
 * pairs, written to docs/perf/ as markdown, JSON and an SVG plot.
 *
 *   bun run bench:l2fwd                      against the embedded ixgbe-sim model
 *   bun run bench:l2fwd --backend memory     the forwarding loop alone, over in-memory ports
 *
 * Options: --seconds <s per run> (2), --warmup <s per point> (0.5), --repeat <runs per point> (3),
 * --batches 1,2,...,256, --queues 1,2, --out <dir>. Each point is the median of its runs: on a
 * small shared machine single runs scatter widely.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
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

const FRAME_BYTES = 64; // on the wire, CRC included: 60 bytes of frame data

const { values } = parseArgs({
  args: process.argv.slice(2),
  options: {
    backend: { type: "string", default: "sim" },
    seconds: { type: "string", default: "2" },
    warmup: { type: "string", default: "0.5" },
    repeat: { type: "string", default: "3" },
    batches: { type: "string", default: "1,2,4,8,16,32,64,128,256" },
    queues: { type: "string", default: "1,2" },
    out: { type: "string", default: resolve(import.meta.dir, "../../../docs/perf") },
  },
  strict: true,
});
const backend = values.backend;
if (backend !== "sim" && backend !== "memory") {
  console.error(`--backend must be sim or memory, got ${JSON.stringify(backend)}`);
  process.exit(2);
}
const seconds = Number(values.seconds);
const warmup = Number(values.warmup);
const repeat = Math.max(1, Math.floor(Number(values.repeat)));
const list = (s: string) => s.split(",").map((v) => Number(v.trim()));
const batches = list(values.batches);
const queueCounts = list(values.queues);

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
      await measure(q, b, warmup); // let the JIT settle on this batch size first
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
mkdirSync(values.out, { recursive: true });
writeFileSync(join(values.out, `${base}.json`), reportJson(report));
writeFileSync(join(values.out, `${base}.md`), reportMarkdown(report, `${base}.svg`));
writeFileSync(
  join(values.out, `${base}.svg`),
  renderPlot(points, {
    title: report.title,
    subtitle: `${FRAME_BYTES}-byte frames, ${describeMachine(machine)}`,
  }),
);
console.log(`wrote ${join(values.out, base)}.{md,json,svg}`);
