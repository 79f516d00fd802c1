/*
 * l2fwd side by side with a C forwarder on the same model in the same run (bun run bench:vs-c).
 *
 * The C forwarder is tools/c-fwd (written for this project in the style of ixy's ixy-fwd: BAR0
 * from a sysfs-style resource0, physical DMA addresses, one busy-polling thread; not ixy
 * itself, whose source is not needed here). For each batch size and each forwarder, a fresh
 * ixgbe-sim serves two ports with a generator (rate=max, 64-byte frames, 64 flows) and a sink
 * on each, and the forwarder runs until stopped:
 *
 *   c-fwd   over sysfs       (tools/c-fwd, built with gcc -O2 into the output directory)
 *   l2fwd   over sysfs       (--workers off: one thread, as c-fwd)
 *   l2fwd   over vfio-user   (--workers off)
 *
 * The rate is measured the same way for all: frames the two sinks received in a window that
 * starts `--warmup` seconds after the first frame came through and lasts `--seconds`. Each
 * point is the median of `--repeat` runs. The model runs on the same machine, so on a small
 * one every figure is bounded by the model as much as by the forwarder: compare ratios.
 */
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { type SimHandle, startSim } from "@dataplane/ixgbe-sim";
import { z } from "zod";
import { describeMachine, machineInfo } from "../src/report/machine.ts";
import { intIn, intList, numberIn, parseBenchArgs } from "./bench-args.ts";

const USAGE = `usage: bun run bench:vs-c [options]

l2fwd against a C forwarder (tools/c-fwd) on the same ixgbe-sim model in the same run: 64-byte
frames, both directions, one forwarding thread each; Mpps from the model's sinks.

  --batches LIST   batch sizes, comma-separated, each 1..512                  [8,32,128]
  --seconds S      measured seconds per run, more than 0 and at most 600      [2]
  --warmup S       seconds after the first forwarded frame before measuring   [0.5]
  --repeat N       runs per point (the median is reported), 1..50             [3]
  --model M        shared: one model process serves both ports (one core);
                   per-port: ixgbe-sim --process-per-port (a core per port)    [shared]
  --out DIR        where vs-c.{md,json} go [a new temporary directory]
  -h, --help       this text`;

const Options = z.object({
  batches: intList("--batches", 1, 512).default([8, 32, 128]),
  seconds: numberIn("--seconds", 0, 600, true).default(2),
  warmup: numberIn("--warmup", 0, 600).default(0.5),
  repeat: intIn("--repeat", 1, 50).default(3),
  model: z
    .enum(["shared", "per-port"], { error: "--model must be shared or per-port" })
    .default("shared"),
  out: z.string().min(1).optional(),
});
const o = parseBenchArgs(
  "bench:vs-c",
  USAGE,
  process.argv.slice(2),
  ["batches", "seconds", "warmup", "repeat", "model", "out"],
  Options,
);
const outDir = o.out ?? mkdtempSync(join(tmpdir(), "bench-vs-c-"));
mkdirSync(outDir, { recursive: true });

const ROOT = resolve(import.meta.dir, "../../..");
const L2FWD = resolve(import.meta.dir, "../src/main.ts");
const WIRE = "gen:rate=max,size=60,flows=64+sink";

type Variant = "c-fwd sysfs" | "l2fwd sysfs" | "l2fwd vfio-user";
const VARIANTS: readonly Variant[] = ["c-fwd sysfs", "l2fwd sysfs", "l2fwd vfio-user"];

/** Builds tools/c-fwd into `dir`; returns the binary's path. */
function buildCfwd(dir: string): string {
  const bin = join(dir, "c-fwd");
  const src = join(ROOT, "tools/c-fwd/c-fwd.c");
  const r = Bun.spawnSync(["gcc", "-O2", "-Wall", "-o", bin, src], { stderr: "pipe" });
  if (r.exitCode !== 0) {
    console.error(`bench:vs-c: building c-fwd failed (is gcc installed?): ${r.stderr.toString()}`);
    process.exit(1);
  }
  return bin;
}

/** Frames both sinks have received so far. */
async function sinkFrames(sim: SimHandle): Promise<number> {
  const st = (await sim.stats()) as { ports: { wire: { stats: { tx: { frames: number } } } }[] };
  return st.ports.reduce((n, p) => n + p.wire.stats.tx.frames, 0);
}

/** One run: a fresh model, the forwarder until stopped, the sinks' rate in the window. */
async function runOnce(variant: Variant, batch: number, cfwd: string): Promise<number> {
  const sysfs = variant.endsWith("sysfs") ? mkdtempSync("/dev/shm/bench-vs-c-") : null;
  const sim = await startSim({
    ports: 2,
    wires: [WIRE, WIRE],
    linkDelayMs: 5,
    processPerPort: o.model === "per-port",
    ...(sysfs === null ? {} : { sysfs }),
  });
  let proc: ReturnType<typeof Bun.spawn> | null = null;
  try {
    const devs = sysfs === null ? sim.specs : sim.sysfs;
    const cmd =
      variant === "c-fwd sysfs"
        ? [
            cfwd,
            ...devs.map((d) => `${d.slice("sysfs:".length)}/resource0`),
            "--batch",
            `${batch}`,
            "--seconds",
            "3600",
          ]
        : [
            process.execPath,
            L2FWD,
            ...devs,
            "-b",
            `${batch}`,
            "-d",
            "0",
            "--quiet",
            "--workers",
            "off",
          ];
    proc = Bun.spawn(cmd, { stdout: "pipe", stderr: "pipe" });
    const started = Date.now();
    while ((await sinkFrames(sim)) === 0) {
      if (proc.exitCode !== null || Date.now() - started > 60_000) {
        const err = await new Response(proc.stderr as ReadableStream).text();
        throw new Error(`${variant} forwarded nothing (exit ${proc.exitCode}): ${err.trim()}`);
      }
      await Bun.sleep(20);
    }
    await Bun.sleep(o.warmup * 1000);
    const f1 = await sinkFrames(sim);
    const t1 = Bun.nanoseconds();
    await Bun.sleep(o.seconds * 1000);
    const f2 = await sinkFrames(sim);
    const t2 = Bun.nanoseconds();
    return ((f2 - f1) / (t2 - t1)) * 1e3; // frames per ns * 1e3 = Mpps
  } finally {
    proc?.kill("SIGINT");
    await proc?.exited;
    await sim.stop().catch((e) => console.error(`bench:vs-c: ${(e as Error).message}`));
  }
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1] as number;
};

const cfwd = buildCfwd(outDir);
const commit = Bun.spawnSync(["git", "rev-parse", "--short", "HEAD"], { cwd: ROOT })
  .stdout.toString()
  .trim();
const load = readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ");
const machine = machineInfo();
interface Row {
  batch: number;
  mpps: Record<Variant, number>;
  runs: Record<Variant, number[]>;
  /** l2fwd sysfs / c-fwd sysfs of each repeat (the two ran back to back). */
  ratios: number[];
}
const rows: Row[] = [];
try {
  for (const batch of o.batches) {
    const runs = Object.fromEntries(VARIANTS.map((v) => [v, [] as number[]])) as Record<
      Variant,
      number[]
    >;
    // Interleaved, so that a change in the machine's load touches every variant alike.
    for (let r = 0; r < o.repeat; r++) {
      for (const v of VARIANTS) runs[v].push(await runOnce(v, batch, cfwd));
    }
    const mpps = Object.fromEntries(VARIANTS.map((v) => [v, median(runs[v])])) as Record<
      Variant,
      number
    >;
    const ratios = runs["l2fwd sysfs"].map((l, r) => l / (runs["c-fwd sysfs"][r] as number));
    rows.push({ batch, mpps, runs, ratios });
    console.log(
      `batch ${String(batch).padStart(3)}  ${VARIANTS.map((v) => `${v} ${mpps[v].toFixed(3)}`).join("  ")}  l2fwd/c-fwd (sysfs, paired) ${median(ratios).toFixed(2)} [${ratios.map((x) => x.toFixed(2)).join(" ")}]`,
    );
  }
} catch (e) {
  console.error(`bench:vs-c: ${(e as Error).message}`);
  process.exit(1);
}

const ns = (mpps: number) => (mpps > 0 ? (1e3 / mpps).toFixed(0) : "-");
const table = [
  "| batch | c-fwd sysfs Mpps (ns/frame) | l2fwd sysfs Mpps (ns/frame) | l2fwd / c-fwd, paired runs: median (range) | l2fwd vfio-user Mpps (ns/frame) |",
  "|---:|---:|---:|---:|---:|",
  ...rows.map((r) => {
    const c = r.mpps["c-fwd sysfs"];
    const l = r.mpps["l2fwd sysfs"];
    const u = r.mpps["l2fwd vfio-user"];
    const lo = Math.min(...r.ratios).toFixed(2);
    const hi = Math.max(...r.ratios).toFixed(2);
    return `| ${r.batch} | ${c.toFixed(3)} (${ns(c)}) | ${l.toFixed(3)} (${ns(l)}) | ${median(r.ratios).toFixed(2)} (${lo}-${hi}) | ${u.toFixed(3)} (${ns(u)}) |`;
  }),
].join("\n");
const date = new Date().toISOString();
const md = `# l2fwd vs a C forwarder on ixgbe-sim

- command: \`bun run bench:vs-c --batches ${o.batches.join(",")} --seconds ${o.seconds} --repeat ${o.repeat}${o.model === "shared" ? "" : ` --model ${o.model}`}\`
- date: ${date}, commit ${commit}
- machine: ${describeMachine(machine)}, load average at start ${load}
- method: per point the median of ${o.repeat} runs, each against a fresh model (2 ports, \`${WIRE}\` on each, ${o.model === "shared" ? "both served by one model process" : "each served by its own model process (--process-per-port)"}); the variants run back to back in every repeat, and the ratio column is the median of each repeat's l2fwd/c-fwd ratio, so a change in the machine's speed between repeats (a shared or virtual machine drifts) touches both sides of a ratio alike; Mpps = frames both sinks received in a ${o.seconds} s window starting ${o.warmup} s after the first frame came through, both directions together; one forwarding thread each (c-fwd; l2fwd \`--workers off\`). ns/frame = 1000 / Mpps of the whole system, model included.

${table}
`;
writeFileSync(join(outDir, "vs-c.md"), md);
writeFileSync(
  join(outDir, "vs-c.json"),
  `${JSON.stringify({ date, commit, load, machine, options: o, wire: WIRE, rows }, null, 2)}\n`,
);
console.log(`\n${table}\n\nwrote ${join(outDir, "vs-c")}.{md,json}`);
