/*
 * The embedded ixgbe-sim: a model process with two ports and the configured wires, started in
 * its own process group (a Ctrl-C in the terminal reaches l2fwd only, which then closes its
 * devices before it stops the model), its traffic measurement, and a stop that is synchronous
 * enough for the cleanup registry: when stop() returns the process has exited.
 */
import { readFileSync, rmdirSync } from "node:fs";
import { controlCall, type SimHandle, type StartSimOptions, startSim } from "@dataplane/ixgbe-sim";
import { L2fwdError } from "./errors.ts";
import type { TrafficReport } from "./port.ts";
import { trafficFromSimStats } from "./sim-traffic.ts";

/** How long stop() waits for the model to exit after SIGTERM before SIGKILL, in ms. */
const STOP_WAIT_MS = 3000;

/** A running embedded model. */
export interface EmbeddedSim {
  readonly handle: SimHandle;
  /** The generators' and sinks' measurement once the model settled, or null. */
  traffic(): TrafficReport | null;
  /** Runs a control command on a port (synchronous); throws IxgbeSimError CONTROL. */
  control(port: number, command: string, args?: Record<string, unknown>): unknown;
  /**
   * Stops the model: SIGTERM, then waits (blocking, up to 3 s; SIGKILL after) until it exited.
   * Idempotent. The returned promise settles once the socket directory is gone as well;
   * problems go to `notice`.
   */
  stop(): Promise<void>;
}

/** Options of the embedded model l2fwd passes on (tests shorten delays or move sockets). */
export type EmbeddedSimOptions = Partial<Omit<StartSimOptions, "ports" | "wires">>;

/** Starts the model with one wire spec per port. Throws L2fwdError DEVICE. */
export async function startEmbeddedSim(
  wires: readonly string[],
  options: EmbeddedSimOptions,
  notice: (line: string) => void,
): Promise<EmbeddedSim> {
  let handle: SimHandle;
  try {
    handle = await startSim({
      processGroup: true,
      ...options,
      ports: wires.length,
      wires: [...wires],
    });
  } catch (cause) {
    throw new L2fwdError(
      "DEVICE",
      `cannot start the embedded ixgbe-sim with wires ${wires.join(", ")}: ${(cause as Error).message}`,
      { cause },
    );
  }
  let stopping: Promise<void> | null = null;
  return {
    handle,
    traffic: () => settledTraffic(handle.controlPath),
    control: (port, cmd, args) =>
      controlCall(handle.controlPath, { cmd, port, ...(args === undefined ? {} : { args }) }),
    stop(): Promise<void> {
      if (stopping !== null) return stopping;
      stopping = handle.stop().catch((e) => notice(`ixgbe-sim: ${(e as Error).message}`));
      if (!waitForExit(handle.pid, STOP_WAIT_MS)) {
        killQuietly(handle.pid);
        waitForExit(handle.pid, STOP_WAIT_MS);
      }
      // handle.stop() removes the directory it made only after an await; a forced exit (second
      // Ctrl-C) ends the process before that, so the empty directory goes now, synchronously.
      if (options.socketDir === undefined) removeEmptyDir(handle.socketDir);
      return stopping;
    },
  };
}

/**
 * The report once the model is done with the frames it still held (TX rings being sent,
 * sinks checking): asks until two replies 20 ms apart agree, for at most a second.
 */
function settledTraffic(controlPath: string): TrafficReport | null {
  const ask = () => trafficFromSimStats(controlCall(controlPath, { cmd: "stats" }));
  let last = ask();
  const end = Date.now() + 1000;
  while (last !== null && Date.now() < end) {
    Bun.sleepSync(20);
    const now = ask();
    if (now === null || (now.received === last.received && now.generated === last.generated)) {
      return now;
    }
    last = now;
  }
  return last;
}

/**
 * Blocks until process `pid` has exited (gone, or a zombie waiting for Bun to reap it) or
 * `ms` passed; true when it exited. Blocking is deliberate: cleanup steps are synchronous so
 * that they also run on a forced exit.
 */
export function waitForExit(pid: number, ms: number): boolean {
  const end = Date.now() + ms;
  for (;;) {
    if (!isRunning(pid)) return true;
    if (Date.now() >= end) return false;
    Bun.sleepSync(2);
  }
}

/** True while `pid` exists and is not a zombie. */
export function isRunning(pid: number): boolean {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  } catch {
    return false;
  }
  // Field 3 (state) follows the command name in parentheses, which may itself hold ") ".
  const state = stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3);
  return state !== "Z" && state !== "X";
}

// Removes `dir` if it exists and is empty; sockets a killed model left stay for stop() to report.
function removeEmptyDir(dir: string): void {
  try {
    rmdirSync(dir);
  } catch {
    // gone already, or not empty
  }
}

function killQuietly(pid: number): void {
  try {
    process.kill(pid, "SIGKILL");
  } catch {
    // already gone
  }
}
