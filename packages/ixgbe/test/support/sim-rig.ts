/*
 * A test rig around an ixgbe-sim process: starts it (vfio-user only, or also serving sysfs-style
 * directories), opens driver devices on its ports over one path, talks to its control socket,
 * and on close() releases everything and checks that no hugepage was left behind.
 */
import { describe, expect, test } from "bun:test";
import { existsSync, readFileSync } from "node:fs";
import { hugepageBytesOfTree } from "@dataplane/hugemem";
import { geteuid } from "@dataplane/sys";
import { ControlClient } from "../../../ixgbe-sim/src/control/client.ts";
import { type SimHandle, startSim } from "../../../ixgbe-sim/src/runtime/start.ts";
import { IxgbeDevice, type OpenOptions } from "../../src/index.ts";

/** How the driver reaches the simulated card. */
export type SimPath = "vfio-user" | "sysfs";

/**
 * Driver timeouts for tests: the model is another process, and on a busy machine it may wait
 * its turn for a CPU far longer than the driver's defaults (1 s per queue, 10 s for the link)
 * allow. A test that is about a timeout sets its own.
 */
export const LOADED_TIMEOUTS = {
  resetMs: 20_000,
  eepromMs: 20_000,
  dmaInitMs: 20_000,
  queueMs: 20_000,
  linkMs: 20_000,
} as const;
/** Both paths every end-to-end test runs over. */
export const SIM_PATHS: readonly SimPath[] = ["vfio-user", "sysfs"];

/** HugePages_Free of the default (2 MiB) size. */
export function hugePagesFree(): number {
  const m = /HugePages_Free:\s+(\d+)/.exec(readFileSync("/proc/meminfo", "utf8"));
  return m === null ? -1 : Number(m[1]);
}

/** Why the end-to-end tests cannot run here, or null. */
function missing(): string | null {
  if (geteuid() !== 0) return "needs root (hugepages, pagemap physical addresses)";
  if (hugePagesFree() < 16) return `needs >= 16 free 2 MiB hugepages (have ${hugePagesFree()})`;
  if (!existsSync("/proc/self/pagemap")) return "needs /proc/self/pagemap";
  return null;
}

/**
 * describe() for each path, or a loud failure in CI / a skip elsewhere when the machine lacks
 * what the simulator tests need.
 */
export function describeSim(title: string, body: (path: SimPath) => void): void {
  const why = missing();
  for (const path of SIM_PATHS) {
    const name = `${title} [${path}]`;
    if (why === null) describe(name, () => body(path));
    else if (process.env.CI === "true") test(name, () => expect(why).toBeNull());
    else describe.skip(`${name} (skipped: ${why})`, () => body(path));
  }
}

/** Rig options. */
export interface RigOptions {
  /** One wire spec per port. */
  readonly wires: readonly string[];
  /** Link-up delay after reset, ms (simulator default 10). */
  readonly linkDelayMs?: number;
}

let rigCount = 0;

/** A running simulator plus the devices a test opened on it. */
export class SimRig {
  readonly devices: IxgbeDevice[] = [];
  private closed = false;

  private constructor(
    readonly path: SimPath,
    readonly sim: SimHandle,
    readonly ctl: ControlClient,
    /** Hugepage bytes this test process tree had mapped before the simulator started. */
    private readonly hugeAtStart: number,
  ) {}

  /** Starts a simulator with one port per wire spec. */
  static async start(path: SimPath, o: RigOptions): Promise<SimRig> {
    const huge = hugepageBytesOfTree();
    const sysfs = path === "sysfs" ? `/dev/shm/ixgbe-e2e-${process.pid}-${rigCount++}` : undefined;
    const sim = await startSim({
      ports: o.wires.length,
      wires: [...o.wires],
      ...(sysfs === undefined ? {} : { sysfs }),
      ...(o.linkDelayMs === undefined ? {} : { linkDelayMs: o.linkDelayMs }),
    });
    let ctl: ControlClient;
    try {
      ctl = new ControlClient(sim.controlPath);
    } catch (e) {
      await sim.stop();
      throw e;
    }
    return new SimRig(path, sim, ctl, huge);
  }

  /** The device spec of `port` over this rig's path. */
  spec(port: number): string {
    const s = this.path === "sysfs" ? this.sim.sysfs[port] : this.sim.specs[port];
    if (s === undefined) throw new Error(`the simulator has no port ${port} over ${this.path}`);
    return s;
  }

  /**
   * Opens `port` and keeps the device for close(). Over sysfs it also waits until the
   * simulator found this process as the directory's client (it reads our memory from then on).
   */
  async open(port: number, options: OpenOptions = {}): Promise<IxgbeDevice> {
    const timeouts = { ...LOADED_TIMEOUTS, ...options.timeouts };
    const dev = await IxgbeDevice.open(this.spec(port), { ...options, timeouts }).catch((e) => {
      // What the model saw is half the story of a failed open: print its last log lines.
      console.error(`ixgbe-sim log (port ${port} open failed):\n${this.sim.stderr()}`);
      throw e;
    });
    this.devices.push(dev);
    if (this.path === "sysfs") {
      await until(
        () => this.transport(port).sysfs?.clientPid === process.pid,
        20_000,
        "sysfs client",
      );
      // Over sysfs the model applies register writes at its next loop pass, so open() may have
      // seen the link of the reset before the autonegotiation restart dropped it again. The
      // model takes in every store before it answers a control request, so its link state is
      // the one after the restart: wait until it is up again, and the driver sees it.
      if (options.waitForLink !== false) {
        await until(() => this.model(port).link.up && dev.link().up, 20_000, "the link to settle");
      }
    }
    return dev;
  }

  /** A control command; throws on an error reply. */
  call(port: number | null, cmd: string, args?: Record<string, unknown>): unknown {
    return this.ctl.call({ cmd, ...(port === null ? {} : { port }), ...(args ? { args } : {}) });
  }

  /** The wire statistics of `port` (SinkStats for a sink, etc.). */
  wire(port: number): Record<string, unknown> & { frames?: number } {
    return (this.call(port, "wires") as { stats: Record<string, unknown> }).stats;
  }

  /** The model's own counters for `port` (what the simulator saw, independent of registers). */
  model(port: number): ModelStats {
    return (this.call(port, "stats") as { model: ModelStats }).model;
  }

  private transport(port: number): { sysfs: { clientPid: number } | null } {
    return (this.call(port, "stats") as { transport: { sysfs: { clientPid: number } | null } })
      .transport;
  }

  /** Queues frames (no FCS) to arrive on a `queue` wire port; returns how many were taken. */
  inject(port: number, frames: readonly Uint8Array[]): number {
    let accepted = 0;
    for (let i = 0; i < frames.length; i += 1024) {
      const hex = frames.slice(i, i + 1024).map((f) => Buffer.from(f).toString("hex"));
      accepted += (this.call(port, "inject", { frames: hex }) as { accepted: number }).accepted;
    }
    return accepted;
  }

  /**
   * Closes every device, stops the simulator, and checks that nothing stayed behind: process,
   * sockets, directories (stop() checks those) and hugepages. Idempotent.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const errors: unknown[] = [];
    for (const d of this.devices) {
      try {
        d.close();
      } catch (e) {
        errors.push(e);
      }
    }
    this.ctl.close();
    try {
      await this.sim.stop();
    } catch (e) {
      errors.push(e);
    }
    if (errors.length > 0) throw errors[0];
    // Nothing of ours stays mapped: no hugepage memory, no simulator BAR.
    expect(ownMappings()).toEqual([]);
    // And this process tree (the test and the simulator it started) holds exactly the hugepages
    // it held before: its own usage, which no other job on the machine moves.
    await until(() => hugepageBytesOfTree() === this.hugeAtStart, 20_000, "hugepages").catch(
      () => {},
    );
    expect(hugepageBytesOfTree()).toBe(this.hugeAtStart);
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}

/** The part of the model's stats() the tests read. */
export interface ModelStats {
  readonly link: { readonly up: boolean; readonly changes: number };
  readonly rx: {
    readonly frames: number;
    readonly delivered: number;
    readonly dropped: Record<string, number>;
  };
  readonly tx: { readonly frames: number; readonly bytes: number };
  readonly dmaFaults: number;
  readonly queuesStopped: number;
  readonly resets: number;
  readonly interrupts: { readonly total: number };
}

/** This process's mappings of driver hugepage memory or simulator registers. */
export function ownMappings(): string[] {
  return readFileSync("/proc/self/maps", "utf8")
    .split("\n")
    .filter((l) => /memfd:hugemem|memfd:ixgbe-sim|ixgbe-e2e-/.test(l));
}

/** Polls `cond` every ms (yielding) until it holds; throws naming `what` after `ms`. */
export async function until(cond: () => boolean, ms: number, what: string): Promise<void> {
  const deadline = performance.now() + ms;
  while (!cond()) {
    if (performance.now() > deadline)
      throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await Bun.sleep(1);
  }
}
