/*
 * startSim: runs the simulator as a child process (`bun src/cli.ts ... --exit-with-parent`),
 * waits for its ready line and hands back the device specs, a control channel and stop().
 * The child's stderr is drained continuously (a full pipe would stall the device loop) and its
 * tail goes into errors, so a failed start says why.
 */
import { existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { ControlClient } from "../control/client.ts";
import { IxgbeSimError } from "../errors.ts";
import { type SimOptionsInput, SimOptionsSchema } from "./options.ts";
import { readyLine } from "./ready-line.ts";
import type { ReadyInfo } from "./sim.ts";

const CLI = new URL("../cli.ts", import.meta.url).pathname;
const STDERR_TAIL = 16 * 1024;

/** startSim options: SimOptions plus how long to wait. */
export type StartSimOptions = Omit<SimOptionsInput, "exitWithParent"> & {
  /** Ready line deadline, ms (default 10000). */
  readonly startTimeoutMs?: number;
  /** Graceful stop deadline before SIGKILL, ms (default 3000). */
  readonly stopTimeoutMs?: number;
  /**
   * Start the process in its own session and process group (default false), so a Ctrl-C
   * in the terminal reaches only the caller, which then stops the simulator in order.
   */
  readonly processGroup?: boolean;
};

/** A running simulator process. */
export interface SimHandle {
  readonly pid: number;
  /** vfio-user device specs, by port. */
  readonly specs: readonly string[];
  /** sysfs device specs, by port (empty without `sysfs`). */
  readonly sysfs: readonly string[];
  /** Control socket path. */
  readonly controlPath: string;
  /** The socket directory (removed by stop() when startSim created it). */
  readonly socketDir: string;
  /** Sends a control command (see `ixgbe-sim ctl help`); rejects with IxgbeSimError CONTROL. */
  control(port: number | null, command: string, args?: Record<string, unknown>): Promise<unknown>;
  /** stats of every port. */
  stats(): Promise<unknown>;
  /** The last lines the simulator logged. */
  stderr(): string;
  /** SIGTERM, wait, SIGKILL after the stop timeout; checks that the sockets are gone. */
  stop(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

function cliArgs(
  o: ReturnType<typeof SimOptionsSchema.parse>,
  socketDir: string,
  ownDir: boolean,
): string[] {
  const args = ["--ports", String(o.ports), "--socket-dir", socketDir, "--exit-with-parent"];
  // A directory made here is the simulator's to remove too: if this process is killed, the
  // simulator (exiting with its parent) is the only one left to clean up.
  if (ownDir) args.push("--own-socket-dir");
  for (const w of o.wires) args.push("--wire", w);
  if (o.sysfs !== null) args.push("--sysfs", o.sysfs);
  args.push("--link-delay", String(o.linkDelayMs), "--queues", String(o.queues));
  if (o.pin !== null) args.push("--pin", String(o.pin));
  if (o.macs !== null) args.push("--mac", o.macs.join(","));
  if (o.manualClock) args.push("--manual-clock");
  if (o.processPerPort) args.push("--process-per-port");
  if (o.lenient) args.push("--lenient");
  if (o.strictFatal) args.push("--strict-fatal");
  args.push("--reset-ms", String(o.resetMs), "--auto-read-ms", String(o.autoReadMs));
  args.push("--dma-init-ms", String(o.dmaInitMs));
  return args;
}

/**
 * Starts a simulator process and waits until it serves. Throws IxgbeSimError BAD_USAGE (invalid
 * options), START_FAILED (the process exited; its stderr is in the message) or TIMEOUT.
 */
export async function startSim(options: StartSimOptions): Promise<SimHandle> {
  const { startTimeoutMs = 10_000, stopTimeoutMs = 3000, processGroup = false, ...rest } = options;
  const parsed = SimOptionsSchema.safeParse(rest);
  if (!parsed.success) {
    throw new IxgbeSimError(
      "BAD_USAGE",
      `startSim: ${parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`,
    );
  }
  const ownDir = rest.socketDir === undefined;
  const socketDir = ownDir ? mkdtempSync(`${tmpdir()}/ixgbe-sim-`) : (rest.socketDir as string);
  const proc = Bun.spawn([process.execPath, CLI, ...cliArgs(parsed.data, socketDir, ownDir)], {
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
    detached: processGroup,
  });
  let tail = "";
  const drained = (async () => {
    const decoder = new TextDecoder();
    for await (const chunk of proc.stderr) {
      tail = (tail + decoder.decode(chunk, { stream: true })).slice(-STDERR_TAIL);
    }
  })();
  let info: ReadyInfo;
  try {
    info = await readyLine(proc, startTimeoutMs, () => tail);
  } catch (e) {
    proc.kill("SIGKILL");
    await proc.exited;
    await drained.catch(() => {});
    if (ownDir) rmSync(socketDir, { recursive: true, force: true });
    throw e instanceof IxgbeSimError && e.code !== "TIMEOUT"
      ? new IxgbeSimError(e.code, `${e.message}\n${tail}`)
      : e;
  }
  return handle(proc, info, { socketDir, ownDir, stopTimeoutMs, tail: () => tail, drained });
}

interface HandleState {
  readonly socketDir: string;
  readonly ownDir: boolean;
  readonly stopTimeoutMs: number;
  readonly tail: () => string;
  readonly drained: Promise<void>;
}

function handle(
  proc: Bun.Subprocess<"ignore", "pipe", "pipe">,
  info: ReadyInfo,
  s: HandleState,
): SimHandle {
  let stopping: Promise<void> | null = null;
  const control = async (port: number | null, command: string, args?: Record<string, unknown>) => {
    using client = new ControlClient(info.control);
    return client.call({
      cmd: command,
      ...(port === null ? {} : { port }),
      ...(args === undefined ? {} : { args }),
    });
  };
  const stop = async (): Promise<void> => {
    proc.kill("SIGTERM");
    const timer = setTimeout(() => proc.kill("SIGKILL"), s.stopTimeoutMs);
    const code = await proc.exited;
    clearTimeout(timer);
    await s.drained.catch(() => {});
    const left = existsSync(s.socketDir) ? readdirSync(s.socketDir) : [];
    const sysfsLeft = info.ports.filter(
      (p) => p.sysfs !== undefined && existsSync(p.sysfs.slice(6)),
    );
    if (s.ownDir) rmSync(s.socketDir, { recursive: true, force: true });
    if (code !== 0 || left.length > 0 || sysfsLeft.length > 0) {
      throw new IxgbeSimError(
        "STOP_FAILED",
        `ixgbe-sim ${proc.pid} stopped with code ${code}; left behind: ${[...left, ...sysfsLeft.map((p) => p.sysfs)].join(", ") || "nothing"}\n${s.tail()}`,
      );
    }
  };
  return {
    pid: proc.pid,
    specs: info.ports.map((p) => p.spec),
    sysfs: info.ports.flatMap((p) => (p.sysfs === undefined ? [] : [p.sysfs])),
    controlPath: info.control,
    socketDir: s.socketDir,
    control,
    stats: () => control(null, "stats"),
    stderr: s.tail,
    stop: () => {
      stopping ??= stop();
      return stopping;
    },
    async [Symbol.asyncDispose]() {
      stopping ??= stop();
      return stopping;
    },
  };
}
