/*
 * Sim: one simulator process's worth of state, without the loop: wires, the served ports, the
 * control socket. The device loop (loop.ts) calls datapath(), service() and housekeeping();
 * close() releases everything in the order that keeps the model safe (servers first, so no
 * client memory is touched after it is unmapped; wires; directories last).
 */
import { existsSync, mkdirSync, readdirSync, rmdirSync } from "node:fs";
import { type ControlTarget, handleLine } from "../control/commands.ts";
import { QUEUE_WIRE_SPEC, QueueWire } from "../control/queue-wire.ts";
import { ControlServer } from "../control/server.ts";
import type { Wire } from "../wire/wire.ts";
import { WireSet } from "../wire/wire-set.ts";
import { controlPathOf, macOf, type SimOptions, strictnessOf, wireOf } from "./options.ts";
import { PortHost } from "./port-host.ts";

/** One port in the ready line. */
export interface ReadyPort {
  readonly port: number;
  /** vfio-user device spec. */
  readonly spec: string;
  /** sysfs device spec, when --sysfs was given. */
  readonly sysfs?: string;
}

/** The ready line's content. */
export interface ReadyInfo {
  readonly ready: true;
  readonly pid: number;
  readonly ports: readonly ReadyPort[];
  /** Control socket path. */
  readonly control: string;
}

/** Manual clock start: 1 s, so no model timestamp is 0. */
const MANUAL_START_NS = 1e9;

/** The simulator's ports, wires and sockets. */
export class Sim implements ControlTarget {
  readonly ports: PortHost[] = [];
  readonly manualClock: boolean;
  readonly control: ControlServer;
  /** Device time when the clock is manual, ns. */
  manualNow = MANUAL_START_NS;
  /** The last datapath pass did some work. */
  private busy = false;
  private readonly wires = new WireSet();
  private readonly queueWires: QueueWire[] = [];
  private readonly createdDirs: string[] = [];
  private closed = false;

  /** Builds everything; on failure releases what was built and rethrows. */
  constructor(
    readonly options: SimOptions,
    private readonly log: (line: string) => void = () => {},
  ) {
    this.manualClock = options.manualClock;
    const clock = options.manualClock ? () => this.manualNow : Bun.nanoseconds;
    try {
      this.makeDir(options.socketDir);
      if (options.ownSocketDir && !this.createdDirs.includes(options.socketDir)) {
        this.createdDirs.push(options.socketDir);
      }
      if (options.sysfs !== null) this.makeDir(options.sysfs);
      const wires = this.openWires();
      for (let i = 0; i < options.ports; i++) {
        const wire = wires[i] as Wire;
        const index = options.portBase + i;
        this.ports.push(
          new PortHost({
            index,
            wire,
            queue: wire instanceof QueueWire ? wire : null,
            mac: macOf(options, i),
            linkDelayMs: options.linkDelayMs,
            queues: options.queues,
            socketPath: `${options.socketDir}/p${index}.sock`,
            sysfsRoot: options.sysfs,
            clock,
            log: (line) => log(`port ${index}: ${line}`),
            strictness: strictnessOf(options),
            resetTiming: {
              resetMs: options.resetMs,
              autoReadMs: options.autoReadMs,
              dmaInitMs: options.dmaInitMs,
            },
          }),
        );
      }
      this.control = new ControlServer(
        controlPathOf(options),
        (line) => {
          this.applyMappedStores();
          return handleLine(this, line);
        },
        log,
      );
    } catch (e) {
      this.release();
      throw e;
    }
  }

  /** What the CLI prints once ready. */
  info(): ReadyInfo {
    const sysfs = this.options.sysfs;
    return {
      ready: true,
      pid: process.pid,
      ports: this.ports.map((h) => ({
        port: h.index,
        spec: `vfio-user:${h.vfio.server.socketPath}`,
        ...(sysfs === null || h.sysfs === null ? {} : { sysfs: `sysfs:${h.sysfs.dir}` }),
      })),
      control: this.control.path,
    };
  }

  /**
   * One pass of the datapath: mapped-register sync and up to `budget` frames per direction per
   * port, all at one clock reading. While busy (the previous pass moved frames) each port checks
   * only a slice of its mapped registers; after an idle pass, all of them. Nothing with a manual
   * clock (only `step` moves it). Returns the work done.
   */
  datapath(budget: number): number {
    if (this.manualClock) return 0;
    let work = 0;
    const now = Bun.nanoseconds();
    const busy = this.busy;
    const ports = this.ports;
    for (let i = 0; i < ports.length; i++) {
      const h = ports[i] as PortHost;
      const port = h.port;
      work += busy ? port.pollMapped(now) : port.syncMapped();
      if (h.busMaster) work += port.step(budget, now);
    }
    this.busy = work > 0;
    return work;
  }

  /**
   * Takes in every store a client made to mapped registers (sysfs mode: the whole BAR; over
   * vfio-user: the queue pages) before a control request is answered, so that a reply reflects
   * everything the client wrote before it asked, as a trapped access would. Not with a manual
   * clock: there only `step` moves the device.
   */
  private applyMappedStores(): void {
    if (this.manualClock) return;
    for (const h of this.ports) h.port.syncMapped();
  }

  /** True while some port has a sysfs-mode client (it only talks through shared memory). */
  get hasSysfsClient(): boolean {
    for (const h of this.ports) if (h.sysfs !== null && h.sysfs.clientPid >= 0) return true;
    return false;
  }

  /** Serves the sockets: each vfio-user server waits up to `timeoutMs`, then control. */
  service(timeoutMs: number): number {
    let handled = 0;
    for (const h of this.ports) handled += h.vfio.server.poll(timeoutMs);
    return handled + this.control.poll(0);
  }

  /** Slow duties: sysfs clients, wire housekeeping. */
  housekeeping(nowNs: number): void {
    for (const h of this.ports) {
      h.housekeeping(nowNs);
      h.wire.tick(nowNs);
    }
  }

  /** Manual clock: `count` loop passes, 1 us of device time apart, then a final sync. */
  step(count: number): void {
    for (let n = 0; n < count; n++) {
      for (const h of this.ports) h.port.syncMapped();
      this.manualNow += 1000;
      for (const h of this.ports) if (h.busMaster) h.port.step(64);
    }
    for (const h of this.ports) h.port.syncMapped();
  }

  /** Manual clock: `ms` of device time pass. */
  advance(ms: number): void {
    this.manualNow += ms * 1e6;
  }

  /** Closes servers, control, wires and directories. Idempotent; throws nothing. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.release();
  }

  [Symbol.dispose](): void {
    this.close();
  }

  private openWires(): Wire[] {
    const out: Wire[] = [];
    for (let i = 0; i < this.options.ports; i++) {
      const spec = wireOf(this.options, i);
      if (spec === QUEUE_WIRE_SPEC) {
        const q = new QueueWire();
        this.queueWires.push(q);
        out.push(q);
      } else {
        out.push(this.wires.open(`p${i}`, spec, { mac: macOf(this.options, i) }));
      }
    }
    this.wires.checkComplete();
    return out;
  }

  private makeDir(dir: string): void {
    if (existsSync(dir)) return;
    mkdirSync(dir, { recursive: true, mode: 0o755 });
    this.createdDirs.push(dir);
  }

  private release(): void {
    const step = (what: string, fn: () => void) => {
      try {
        fn();
      } catch (e) {
        this.log(`closing ${what}: ${(e as Error).message}`);
      }
    };
    for (const h of this.ports) step(`port ${h.index}`, () => h.close());
    if (this.control !== undefined) step("control socket", () => this.control.close());
    step("wires", () => this.wires.close());
    for (const q of this.queueWires) q.close();
    for (const dir of this.createdDirs.reverse()) {
      step(dir, () => {
        if (existsSync(dir) && readdirSync(dir).length === 0) rmdirSync(dir);
      });
    }
  }
}
