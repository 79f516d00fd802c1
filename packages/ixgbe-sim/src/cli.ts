#!/usr/bin/env bun
/*
 * ixgbe-sim: the 82599 model as a process. `ixgbe-sim --ports N --wire SPEC ...` serves the ports
 * and prints one JSON ready line on stdout; `ixgbe-sim ctl <port> <command>` talks to a running
 * one. Usage errors exit 2, runtime failures 1.
 */
import { writeSync } from "node:fs";
import { parseArgs } from "node:util";
import { allowedCpus, issueSentence, optionErrorSentence, versionLine } from "@dataplane/sys";
import pkg from "../package.json" with { type: "json" };
import { runCtl } from "./control/ctl.ts";
import { IxgbeSimError } from "./errors.ts";
import { type FrontReadyInfo, PortProcesses } from "./runtime/front.ts";
import { type LoopControl, runLoop } from "./runtime/loop.ts";
import {
  DEFAULT_SOCKET_DIR,
  MAX_PORTS,
  type SimOptions,
  SimOptionsSchema,
  splitWireList,
} from "./runtime/options.ts";
import { Sim } from "./runtime/sim.ts";
import { WIRE_SPEC_FORMS } from "./wire/spec.ts";

const USAGE = `usage: ixgbe-sim --ports N --wire SPEC [options]
       ixgbe-sim ctl [PORT] COMMAND [ARGS] [--json] [--socket-dir DIR]

Serves N simulated 82599 ports (vfio-user sockets, optionally sysfs-style directories) and
prints one JSON line on stdout when ready; logs go to stderr. SIGTERM/SIGINT stop it cleanly.

options:
  --ports N            ports to serve, 1..${MAX_PORTS} (port N is function N%2 of card N/2)
  --wire SPECS         one wire per port: repeat --wire, or list them separated by ";" or ","
                       (e.g. --wire "gen:rate=1M,size=64;sink" or --wire gen,sink); one spec
                       alone applies to every port
  --socket-dir DIR     where p<N>.sock and control.sock go (default ${DEFAULT_SOCKET_DIR})
  --sysfs DIR          also serve each port as DIR/<pci-address>/ (put DIR on tmpfs: /dev/shm)
  --link-delay MS      link comes up MS after an AN restart in 10G serial mode (default 10)
  --pin CPU            pin the device loop to CPU (with --process-per-port: port N's to CPU+N)
  --process-per-port   one process per port, each with its own device loop, so the ports'
                       datapaths run on different cores (not with cable wires or
                       --manual-clock); ctl and the ready line work as without it
  --mac LIST           per-port MACs, comma-separated (default 02:00:00:82:59:9N)
  --queues N           queues per direction per port, 1..128 (default 128)
  --manual-clock       device time moves only on "ctl advance", the datapath only on "ctl step"
  --lenient            judge nothing: the older permissive model (instant reset, link up
                       without AN restart, no violations); default is strict
  --strict-fatal       the first violation of a datasheet rule stops the port's datapath
  --reset-ms MS        CTRL.RST takes MS (default 1); --auto-read-ms MS: EEC.ARD after MS
                       (default 2); --dma-init-ms MS: RDRXCTL.DMAIDONE after MS (default 2)
  --exit-with-parent   exit when the parent process dies
  --own-socket-dir     remove the socket directory when stopping, although it existed
  --port-base N        number the ports from N (sockets, PCI addresses, MACs, logs)
  --control-socket P   the control socket's path (default SOCKET-DIR/control.sock)
  -h, --help           this text
  -V, --version        print the version

wire specs:
  ${[...WIRE_SPEC_FORMS, "queue                           frames injected and collected through ctl inject/sent"].join("\n  ")}

ctl commands: ixgbe-sim ctl help`;

function usageError(message: string): never {
  process.stderr.write(`ixgbe-sim: ${message}; see ixgbe-sim --help\n`);
  process.exit(2);
}

function parseFlags(argv: string[]) {
  try {
    return parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        ports: { type: "string" },
        wire: { type: "string", multiple: true },
        "socket-dir": { type: "string" },
        sysfs: { type: "string" },
        "link-delay": { type: "string" },
        pin: { type: "string" },
        mac: { type: "string", multiple: true },
        queues: { type: "string" },
        "manual-clock": { type: "boolean" },
        "process-per-port": { type: "boolean" },
        "port-base": { type: "string" },
        "control-socket": { type: "string" },
        "exit-with-parent": { type: "boolean" },
        "own-socket-dir": { type: "boolean" },
        lenient: { type: "boolean" },
        "strict-fatal": { type: "boolean" },
        "reset-ms": { type: "string" },
        "auto-read-ms": { type: "string" },
        "dma-init-ms": { type: "string" },
        help: { type: "boolean", short: "h" },
        version: { type: "boolean", short: "V" },
      },
    }).values;
  } catch (e) {
    return usageError(optionErrorSentence(e, FLAGS));
  }
}

// Option key of SimOptionsSchema -> the flag that sets it, for error messages.
const FLAG_OF: Record<string, string> = {
  ports: "--ports",
  wires: "--wire",
  socketDir: "--socket-dir",
  sysfs: "--sysfs",
  linkDelayMs: "--link-delay",
  pin: "--pin",
  macs: "--mac",
  queues: "--queues",
  manualClock: "--manual-clock",
  processPerPort: "--process-per-port",
  portBase: "--port-base",
  controlSocket: "--control-socket",
  exitWithParent: "--exit-with-parent",
  ownSocketDir: "--own-socket-dir",
};
const FLAGS = [...Object.values(FLAG_OF), "--help", "--version"];
const flagOf = (path: readonly PropertyKey[]) =>
  `${FLAG_OF[String(path[0])] ?? String(path[0])}${path.length > 1 ? ` (value ${Number(path[1]) + 1})` : ""}`;

const num = (s: string | undefined): number | undefined =>
  s === undefined ? undefined : /^\s*-?\d+(\.\d+)?\s*$/.test(s) ? Number(s) : Number.NaN;

/** CPUs as a short list: "0-3,6". */
function cpuList(cpus: readonly number[]): string {
  const parts: string[] = [];
  for (let i = 0; i < cpus.length; ) {
    let j = i;
    while (j + 1 < cpus.length && cpus[j + 1] === (cpus[j] as number) + 1) j++;
    parts.push(i === j ? `${cpus[i]}` : `${cpus[i]}-${cpus[j]}`);
    i = j + 1;
  }
  return parts.join(",");
}

/** A loop control that SIGTERM and SIGINT stop, and the function that stops it with a reason. */
function stopOnSignals(): { control: LoopControl; stop: (reason: string) => void } {
  const control: LoopControl = { stop: false, reason: "" };
  const stop = (reason: string) => {
    control.stop = true;
    control.reason ||= reason;
  };
  process.on("SIGTERM", () => stop("SIGTERM"));
  process.on("SIGINT", () => stop("SIGINT"));
  return { control, stop };
}

/** Starts serving; resolves when stopped. */
async function serve(argv: string[]): Promise<number> {
  const f = parseFlags(argv);
  if (f.help === true) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (f.version === true) {
    process.stdout.write(`${versionLine("ixgbe-sim", pkg.version)}\n`);
    return 0;
  }
  if (f.ports === undefined) usageError("--ports is required");
  if (f.wire === undefined) usageError("--wire is required (one spec per port)");
  const parsed = SimOptionsSchema.safeParse({
    ports: num(f.ports),
    wires: f.wire.flatMap(splitWireList),
    socketDir: f["socket-dir"],
    sysfs: f.sysfs,
    linkDelayMs: num(f["link-delay"]),
    pin: num(f.pin),
    macs: f.mac === undefined ? undefined : f.mac.flatMap((m) => m.split(",")),
    queues: num(f.queues),
    manualClock: f["manual-clock"],
    processPerPort: f["process-per-port"],
    portBase: num(f["port-base"]),
    controlSocket: f["control-socket"],
    exitWithParent: f["exit-with-parent"],
    ownSocketDir: f["own-socket-dir"],
    lenient: f.lenient,
    strictFatal: f["strict-fatal"],
    resetMs: num(f["reset-ms"]),
    autoReadMs: num(f["auto-read-ms"]),
    dmaInitMs: num(f["dma-init-ms"]),
  });
  if (!parsed.success) usageError(issueSentence(parsed.error.issues, flagOf));
  const opts = parsed.data;
  // Checked before anything starts: pinning fails only once the loop runs, after "ready".
  if (opts.pin !== null) {
    const cpus = allowedCpus();
    const last = opts.processPerPort ? opts.pin + opts.ports - 1 : opts.pin;
    for (let cpu = opts.pin; cpu <= last; cpu++) {
      if (cpus.includes(cpu)) continue;
      usageError(
        opts.processPerPort
          ? `--pin ${opts.pin} with --process-per-port needs CPUs ${opts.pin}-${last} (one per port), and ${cpu} is not one this process may run on; use a start CPU within ${cpuList(cpus)}`
          : `--pin ${opts.pin} is not a CPU this process may run on; use one of ${cpuList(cpus)}`,
      );
    }
  }
  const log = (line: string) => {
    try {
      // Synchronous: a parent that died leaves a broken pipe, and buffered writes to it would
      // hold up the exit for seconds.
      writeSync(2, `ixgbe-sim[${process.pid}]: ${line}\n`);
    } catch {
      // nobody reads stderr any more
    }
  };
  if (opts.processPerPort) return serveFront(opts, log);
  let sim: Sim;
  try {
    sim = new Sim(opts, log);
  } catch (e) {
    if (e instanceof IxgbeSimError && (e.code === "BAD_SPEC" || e.code === "CABLE_UNPAIRED")) {
      usageError(e.message);
    }
    log(`cannot start: ${(e as Error).message}`);
    return 1;
  }
  const { control, stop } = stopOnSignals();
  const parent = process.ppid;
  process.stdout.write(`${JSON.stringify(sim.info())}\n`);
  log(`serving ${opts.ports} port(s); control ${sim.control.path}`);
  try {
    await runLoop(sim, control, {
      pin: opts.pin,
      onHousekeeping: () => {
        if (opts.exitWithParent && process.ppid !== parent) stop(`parent ${parent} exited`);
      },
    });
  } finally {
    sim.close();
  }
  log(`stopped (${control.reason})`);
  return 0;
}

/** --process-per-port: the port processes and the control socket in front of them. */
async function serveFront(opts: SimOptions, log: (line: string) => void): Promise<number> {
  const front = new PortProcesses(opts, log);
  const { control, stop } = stopOnSignals();
  const parent = process.ppid;
  let info: FrontReadyInfo;
  try {
    info = await front.start();
  } catch (e) {
    log(`cannot start: ${(e as Error).message}`);
    return 1;
  }
  process.stdout.write(`${JSON.stringify(info)}\n`);
  log(`serving ${opts.ports} port(s), one process each; control ${info.control}`);
  let failed = false;
  while (!control.stop) {
    front.poll();
    const gone = front.exited();
    if (gone !== null) {
      failed = true;
      stop(`port ${gone.port}'s process exited with code ${gone.code}`);
    }
    if (opts.exitWithParent && process.ppid !== parent) stop(`parent ${parent} exited`);
    await new Promise((resolve) => setImmediate(resolve));
  }
  const clean = await front.stop();
  log(`stopped (${control.reason})`);
  return failed || !clean ? 1 : 0;
}

async function main(argv: string[]): Promise<number> {
  if (argv[0] === "ctl") return runCtl(argv.slice(1));
  return serve(argv);
}

if (import.meta.main) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (e) => {
      process.stderr.write(
        `ixgbe-sim: ${e instanceof IxgbeSimError ? e.message : (e as Error).stack}\n`,
      );
      process.exit(1);
    },
  );
}
