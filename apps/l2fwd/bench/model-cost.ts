/*
 * What the model costs per frame over a real transport (bun run bench:model): ixgbe-sim serves
 * port 0 with a rate=max generator and port 1 with a validating sink, and l2fwd (one thread,
 * --mode pass) moves every frame from port 0 to port 1. So each frame costs the model one RX
 * (generator -> DMA into the client's buffer, descriptor write-back) and one TX (descriptor and
 * buffer read from the client's memory -> sink), over vfio-user or sysfs, with the client on
 * another core: cross-core cache traffic included, which the in-process benches
 * (packages/ixgbe-sim/bench) leave out.
 *
 * Measured per run from /proc: the model's CPU time (all its processes) over the frames the
 * sink took in the window, so the figure is the model's cost per frame while it is the
 * bottleneck. With --model per-port each port has its own process, and the two processes'
 * times give each direction alone (RX: port 0's process; TX: port 1's).
 */
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { type SimHandle, startSim } from "@dataplane/ixgbe-sim";
import { z } from "zod";
import { describeMachine, machineInfo } from "../src/report/machine.ts";
import { intIn, numberIn, parseBenchArgs } from "./bench-args.ts";

const USAGE = `usage: bun run bench:model [options]

The model's CPU time per 64-byte frame over a transport: a generator on port 0, a sink on
port 1, l2fwd (one thread, --mode pass) between them; each frame is one RX and one TX of the
model, with the client on another core.

  --transports LIST  vfio-user, sysfs or both, comma-separated          [vfio-user,sysfs]
  --model LIST       shared (one model process), per-port (one per port:
                     RX and TX cost apart), or both                     [shared]
  --batch N          l2fwd's batch size, 1..512                          [32]
  --seconds S        measured seconds per run, more than 0, at most 600  [3]
  --warmup S         seconds after the first frame before measuring      [1]
  --repeat N         runs per point (the median is reported), 1..50      [3]
  --out DIR          where model.{md,json} go [a new temporary directory]
  -h, --help         this text`;

const Transport = z.enum(["vfio-user", "sysfs"]);
const Model = z.enum(["shared", "per-port"]);
const listOf = <T extends z.ZodType>(flag: string, item: T, values: string) =>
  z.string().transform((s, ctx) => {
    const out: z.output<T>[] = [];
    for (const v of s.split(",")) {
      const r = item.safeParse(v.trim());
      if (!r.success) {
        ctx.addIssue({
          code: "custom",
          message: `${flag} takes ${values}, not ${JSON.stringify(v)}`,
        });
        return z.NEVER;
      }
      out.push(r.data);
    }
    return out;
  });
const Options = z.object({
  transports: listOf("--transports", Transport, "vfio-user and/or sysfs").default([
    "vfio-user",
    "sysfs",
  ]),
  model: listOf("--model", Model, "shared and/or per-port").default(["shared"]),
  batch: intIn("--batch", 1, 512).default(32),
  seconds: numberIn("--seconds", 0, 600, true).default(3),
  warmup: numberIn("--warmup", 0, 600).default(1),
  repeat: intIn("--repeat", 1, 50).default(3),
  out: z.string().min(1).optional(),
});
const o = parseBenchArgs(
  "bench:model",
  USAGE,
  process.argv.slice(2),
  ["transports", "model", "batch", "seconds", "warmup", "repeat", "out"],
  Options,
);
const outDir = o.out ?? mkdtempSync(join(tmpdir(), "bench-model-"));
mkdirSync(outDir, { recursive: true });

const ROOT = resolve(import.meta.dir, "../../..");
const L2FWD = resolve(import.meta.dir, "../src/main.ts");
const WIRES = ["gen:rate=max,size=60,flows=64", "sink"];
const TICK_NS = 1e9 / 100; // /proc/<pid>/stat times are in USER_HZ (100 on Linux)

/** CPU time a process has used (all threads), ns. */
function cpuNs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(f[11]) + Number(f[12])) * TICK_NS; // utime, stime (fields 14, 15)
}

/** The model's processes: the one startSim started and, with per-port, its port processes. */
function modelPids(sim: SimHandle): number[] {
  const kids = readFileSync(`/proc/${sim.pid}/task/${sim.pid}/children`, "utf8").trim();
  return [sim.pid, ...(kids === "" ? [] : kids.split(/\s+/).map(Number))];
}

interface Snapshot {
  sunk: number;
  sent: number;
  model: number[];
  client: number;
  t: number;
}

async function snapshot(sim: SimHandle, pids: number[], client: number): Promise<Snapshot> {
  const st = (await sim.stats()) as {
    ports: { wire: { stats: { frames?: number; sent?: number } } }[];
  };
  return {
    sent: st.ports[0]?.wire.stats.sent ?? 0,
    sunk: st.ports[1]?.wire.stats.frames ?? 0,
    model: pids.map(cpuNs),
    client: cpuNs(client),
    t: Bun.nanoseconds(),
  };
}

interface Run {
  /** Frames per second the sink took, millions. */
  mpps: number;
  /** Frames the generator made that never reached the sink (dropped on receive), share. */
  dropShare: number;
  /** Model CPU time per frame, ns: all processes, and per port process with per-port. */
  modelNs: number;
  rxNs: number | null;
  txNs: number | null;
  /** CPU cores the model and the client kept busy. */
  modelCores: number;
  clientCores: number;
}

async function runOnce(
  transport: "vfio-user" | "sysfs",
  model: "shared" | "per-port",
): Promise<Run> {
  const sysfs = transport === "sysfs" ? mkdtempSync("/dev/shm/bench-model-") : null;
  const sim = await startSim({
    ports: 2,
    wires: WIRES,
    linkDelayMs: 5,
    processPerPort: model === "per-port",
    ...(sysfs === null ? {} : { sysfs }),
  });
  let proc: ReturnType<typeof Bun.spawn> | null = null;
  try {
    const devs = sysfs === null ? sim.specs : sim.sysfs;
    const cmd = [process.execPath, L2FWD, ...devs, "-b", `${o.batch}`, "-d", "0"];
    cmd.push("--mode", "pass", "--quiet", "--workers", "off");
    proc = Bun.spawn(cmd, { stdout: "pipe", stderr: "pipe" });
    const pids = modelPids(sim);
    const started = Date.now();
    while ((await snapshot(sim, pids, proc.pid)).sunk === 0) {
      if (proc.exitCode !== null || Date.now() - started > 60_000) {
        const err = await new Response(proc.stderr as ReadableStream).text();
        throw new Error(
          `l2fwd moved nothing over ${transport} (exit ${proc.exitCode}): ${err.trim()}`,
        );
      }
      await Bun.sleep(20);
    }
    await Bun.sleep(o.warmup * 1000);
    const a = await snapshot(sim, pids, proc.pid);
    await Bun.sleep(o.seconds * 1000);
    const b = await snapshot(sim, pids, proc.pid);
    const frames = b.sunk - a.sunk;
    const wall = b.t - a.t;
    const used = b.model.map((x, i) => x - (a.model[i] as number));
    const total = used.reduce((s, x) => s + x, 0);
    return {
      mpps: (frames / wall) * 1e3,
      dropShare: b.sent - a.sent > 0 ? 1 - frames / (b.sent - a.sent) : 0,
      modelNs: total / frames,
      rxNs: model === "per-port" ? (used[1] as number) / frames : null,
      txNs: model === "per-port" ? (used[2] as number) / frames : null,
      modelCores: total / wall,
      clientCores: (b.client - a.client) / wall,
    };
  } finally {
    proc?.kill("SIGINT");
    await proc?.exited;
    await sim.stop().catch((e) => console.error(`bench:model: ${(e as Error).message}`));
  }
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1] as number;
};

interface Row {
  transport: string;
  model: string;
  runs: Run[];
  mpps: number;
  modelNs: number;
  rxNs: number | null;
  txNs: number | null;
}

const rows: Row[] = [];
const load = readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ");
try {
  for (const model of o.model) {
    for (const transport of o.transports) {
      const runs: Run[] = [];
      for (let r = 0; r < o.repeat; r++) runs.push(await runOnce(transport, model));
      const pick = (f: (r: Run) => number | null) => {
        const xs = runs.map(f).filter((x): x is number => x !== null);
        return xs.length === 0 ? null : median(xs);
      };
      const row: Row = {
        transport,
        model,
        runs,
        mpps: pick((r) => r.mpps) as number,
        modelNs: pick((r) => r.modelNs) as number,
        rxNs: pick((r) => r.rxNs),
        txNs: pick((r) => r.txNs),
      };
      rows.push(row);
      console.log(
        `${model.padEnd(8)} ${transport.padEnd(9)}  ${row.mpps.toFixed(3)} Mpps at the sink  model ${row.modelNs.toFixed(0)} ns/frame${row.rxNs === null ? "" : ` (RX ${row.rxNs.toFixed(0)}, TX ${(row.txNs as number).toFixed(0)})`}  runs ${runs.map((x) => x.mpps.toFixed(2)).join(" ")}`,
      );
    }
  }
} catch (e) {
  console.error(`bench:model: ${(e as Error).message}`);
  process.exit(1);
}

const commit = Bun.spawnSync(["git", "rev-parse", "--short", "HEAD"], { cwd: ROOT })
  .stdout.toString()
  .trim();
const machine = machineInfo();
const date = new Date().toISOString();
const f0 = (x: number | null) => (x === null ? "-" : x.toFixed(0));
const table = [
  "| model | transport | Mpps at the sink | model ns/frame (RX + TX) | RX ns/frame | TX ns/frame | model cores | client cores | dropped on receive |",
  "|---|---|---:|---:|---:|---:|---:|---:|---:|",
  ...rows.map((r) => {
    const mid = (f: (x: Run) => number) => median(r.runs.map(f));
    return `| ${r.model} | ${r.transport} | ${r.mpps.toFixed(3)} | ${f0(r.modelNs)} | ${f0(r.rxNs)} | ${f0(r.txNs)} | ${mid((x) => x.modelCores).toFixed(2)} | ${mid((x) => x.clientCores).toFixed(2)} | ${(mid((x) => x.dropShare) * 100).toFixed(1)} % |`;
  }),
].join("\n");
const md = `# The model's cost per frame over a transport

- command: \`bun run bench:model --transports ${o.transports.join(",")} --model ${o.model.join(",")} --batch ${o.batch} --seconds ${o.seconds} --repeat ${o.repeat}\`
- date: ${date}, commit ${commit}
- machine: ${describeMachine(machine)}, load average at start ${load}
- method: ixgbe-sim with \`${WIRES[0]}\` on port 0 and \`${WIRES[1]}\` on port 1; l2fwd (\`--mode pass --workers off -b ${o.batch}\`) moves port 0's frames to port 1, so each frame is one RX and one TX of the model. Per point the median of ${o.repeat} runs, each against a fresh model, measured over ${o.seconds} s starting ${o.warmup} s after the first frame reached the sink. Model ns/frame = the CPU time of every model process (from /proc) over the frames the sink took; with \`per-port\` the RX and TX columns are port 0's and port 1's processes alone. A model that is not the bottleneck spins between frames, and that time counts too: the figures are what the model costs while it limits the rate (its cores near 1 per process).

${table}
`;
writeFileSync(join(outDir, "model.md"), md);
writeFileSync(
  join(outDir, "model.json"),
  `${JSON.stringify({ date, commit, load, machine, options: o, wires: WIRES, rows }, null, 2)}\n`,
);
console.log(`\n${table}\n\nwrote ${join(outDir, "model")}.{md,json}`);
