/*
 * The device loop. Busy: every pass runs the datapath (mapped-register sync + step), every
 * SERVICE_EVERY passes the sockets are polled without waiting, every HOUSEKEEPING_NS the slow
 * duties run. Idle (no work for IDLE_AFTER_NS): each pass waits on the vfio-user sockets for up
 * to SLEEP_MS (DEEP_SLEEP_MS once idle for DEEP_IDLE_NS), so an idle device costs next to no
 * CPU and wakes at the client's next message.
 * The loop yields to the event loop every YIELD_NS so signal handlers (SIGTERM/SIGINT) run.
 */
import { pinThread } from "@dataplane/sys";
import type { Sim } from "./sim.ts";

/** Frames per direction per port per datapath pass. */
const BUDGET = 64;
/** Passes between non-waiting socket polls while busy. */
const SERVICE_EVERY = 32;
const IDLE_AFTER_NS = 5e6;
const SLEEP_MS = 2;
const DEEP_IDLE_NS = 200e6;
const DEEP_SLEEP_MS = 10;
const SYSFS_SLEEP_MS = 1;
const HOUSEKEEPING_NS = 20e6;
const YIELD_NS = 2e6;

/** Stops the loop from outside (signal handlers, parent watch). */
export interface LoopControl {
  stop: boolean;
  /** Why it stopped, for the log. */
  reason: string;
}

/** Loop tuning and duties. */
export interface LoopOptions {
  /** CPU to pin this thread to. */
  readonly pin?: number | null;
  /** Called with every housekeeping pass's time (parent watch etc.). */
  readonly onHousekeeping?: (nowNs: number) => void;
}

/**
 * How long an idle pass may wait on the sockets. A sysfs client sends no messages (its register
 * stores are only seen by polling memory), so while one is attached the wait stays short.
 */
function sleepMs(sim: Sim, idleNs: number): number {
  if (sim.hasSysfsClient) return SYSFS_SLEEP_MS;
  return idleNs > DEEP_IDLE_NS ? DEEP_SLEEP_MS : SLEEP_MS;
}

const yieldToEvents = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** Runs `sim` until `control.stop` is set. Resolves after the last pass; does not close sim. */
export async function runLoop(
  sim: Sim,
  control: LoopControl,
  options: LoopOptions = {},
): Promise<void> {
  if (options.pin !== undefined && options.pin !== null) pinThread([options.pin]);
  let now = Bun.nanoseconds();
  let lastWork = now;
  let nextHousekeeping = now;
  let nextYield = now + YIELD_NS;
  let pass = 0;
  while (!control.stop) {
    let work = sim.datapath(BUDGET);
    const idle = now - lastWork > IDLE_AFTER_NS;
    if (idle) work += sim.service(sleepMs(sim, now - lastWork));
    else if (++pass % SERVICE_EVERY === 0) work += sim.service(0);
    if (idle || pass % SERVICE_EVERY === 0) now = Bun.nanoseconds();
    if (work > 0) lastWork = now;
    if (now >= nextHousekeeping) {
      nextHousekeeping = now + HOUSEKEEPING_NS;
      sim.housekeeping(now);
      options.onHousekeeping?.(now);
    }
    if (now >= nextYield) {
      await yieldToEvents();
      nextYield = Bun.nanoseconds() + YIELD_NS;
    }
  }
}
