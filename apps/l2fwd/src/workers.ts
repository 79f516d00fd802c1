/*
 * One Worker thread per queue pair (DESIGN.md: RSS spreads flows, workers share nothing). The
 * main thread exports each pair (PortSet.workers), starts a Worker on worker-main.ts, reads the
 * Workers' forwarder counters from one SharedArrayBuffer for live statistics, and at the end
 * drains, stops and joins the Workers, then reclaims the pairs so close() finds every queue home.
 */
import { allowedCpus } from "@dataplane/sys";
import { L2fwdError } from "./errors.ts";
import { COUNTER_SLOTS, type ForwardMode } from "./forward.ts";
import type { PortSet, WorkerHandoff } from "./port.ts";
import {
  CONTROL_BUSY,
  CONTROL_DRAIN,
  CONTROL_GO,
  CONTROL_STOP,
  type WorkerReport,
  type WorkerStart,
} from "./worker-protocol.ts";

/** How a run uses Workers: auto = whenever the ports allow it. */
export type WorkerMode = "auto" | "on" | "off";

/** Every ForwardingWorkers with Workers started, for haltWorkers(). */
const liveRuns = new Set<ForwardingWorkers>();

/**
 * Stops every Worker of every run now, synchronously: sets their stop words and blocks (up to
 * `timeoutMs`) until each detached, then terminates them. For a forced exit (second Ctrl-C),
 * before the ports are closed: closing unmaps memory a running Worker would still write.
 * Returns false when some Worker did not detach in time.
 */
export function haltWorkers(timeoutMs = 1000): boolean {
  const deadline = performance.now() + timeoutMs;
  let all = true;
  for (const w of liveRuns) all = w.halt(deadline) && all;
  return all;
}

/** Options of ForwardingWorkers.start. */
export interface WorkerOptions {
  readonly queues: number;
  readonly batch: number;
  readonly mode: ForwardMode;
  /** Pin Worker i to the i-th CPU of this process's affinity mask (round robin). */
  readonly pin?: boolean;
  /** Milliseconds to wait for every Worker to attach (default 10 s). */
  readonly startTimeoutMs?: number;
}

/**
 * Whether a run over `set` uses Workers: "auto" whenever the ports allow it (the port set
 * offers a WorkerHandoff), whatever the queue count, so the main thread can read statistics
 * and watch the ports while the Workers forward. Throws NOT_AVAILABLE for "on" when the
 * ports cannot be driven from Workers (e.g. trapped doorbells, in-memory ports made without
 * `workers: true`).
 */
export function useWorkers(set: PortSet, mode: WorkerMode): boolean {
  if (mode === "off") return false;
  if (set.workers === undefined) {
    if (mode === "auto") return false;
    throw new L2fwdError(
      "NOT_AVAILABLE",
      `--workers=on: ports ${set.ports.map((p) => p.name).join(" and ")} cannot be driven from Worker threads (their queues are not exportable, e.g. trapped doorbells); use --workers=off`,
    );
  }
  return true;
}

interface Slot {
  readonly queue: number;
  readonly worker: Worker;
  ready: boolean;
  done: boolean;
  cpus: readonly number[];
  failure: string | null;
  exported: boolean;
}

/**
 * The running Workers of one forwarding run. pause() joins them and takes every queue pair
 * home (to repair a port); resume() hands the pairs to a new set of Workers, which count on
 * in the same shared counters.
 */
export class ForwardingWorkers {
  /** Per Worker (= queue pair): its forwarder's counters, live (indexed by `Counter`). */
  readonly forwarders: { readonly counters: Float64Array }[];
  private readonly counters: SharedArrayBuffer;
  /** Control words of the current set of Workers (a fresh block per set). */
  private control = new Int32Array(new SharedArrayBuffer(16));
  private slots: Slot[] = [];
  private going = false;
  private paused = false;
  private closed = false;
  /** A failure seen in a set of Workers that is gone (reported by check()). */
  private failed: string | null = null;

  private constructor(
    private readonly handoff: WorkerHandoff,
    private readonly options: WorkerOptions,
    private readonly stop: Int32Array,
  ) {
    this.counters = new SharedArrayBuffer(options.queues * COUNTER_SLOTS * 8);
    this.forwarders = Array.from({ length: options.queues }, (_, i) => ({
      counters: new Float64Array(this.counters, i * COUNTER_SLOTS * 8, COUNTER_SLOTS),
    }));
  }

  /**
   * Exports every queue pair of `set` and starts one Worker per pair; resolves once all
   * attached. They wait for go() before forwarding. Throws WORKER (with the Worker's stack)
   * or NOT_AVAILABLE; on failure everything started is stopped and reclaimed.
   */
  static async start(set: PortSet, o: WorkerOptions, stop: Int32Array): Promise<ForwardingWorkers> {
    const handoff = set.workers;
    if (handoff === undefined)
      throw new L2fwdError("NOT_AVAILABLE", "these ports have no Worker support");
    const w = new ForwardingWorkers(handoff, o, stop);
    await w.spawnAll();
    return w;
  }

  /** The CPUs each Worker may run on, as it reported after pinning. */
  get cpus(): (readonly number[])[] {
    return this.slots.map((s) => s.cpus);
  }

  /** Throws WORKER when a Worker failed, with its message and stack. */
  check(): void {
    const bad = this.slots.find((s) => s.failure !== null);
    const failure = bad
      ? `the Worker for queue pair ${bad.queue} failed: ${bad.failure}`
      : this.failed;
    if (failure !== null) throw new L2fwdError("WORKER", failure);
  }

  /** Lets the attached Workers start forwarding (after the first counter snapshot). */
  go(): void {
    this.going = true;
    Atomics.store(this.control, CONTROL_GO, 1);
    Atomics.notify(this.control, CONTROL_GO);
  }

  /** Asks the Workers to stop generated traffic and keep forwarding (the rings drain). */
  drain(): void {
    Atomics.store(this.control, CONTROL_DRAIN, 1);
  }

  /**
   * Stops and joins the Workers and takes every queue pair back to this thread, so the ports
   * can be repaired (IxgbeDevice.recover). Frames arriving meanwhile wait in the rings or are
   * dropped (and counted) by the card. Throws WORKER when a Worker had failed.
   */
  async pause(timeoutMs = 2000): Promise<void> {
    if (this.closed || this.paused) return;
    this.paused = true;
    await this.stopAll(timeoutMs);
  }

  /** Hands the queue pairs to a new set of Workers after pause(); they forward at once. */
  async resume(): Promise<void> {
    if (this.closed || !this.paused) return;
    this.paused = false;
    await this.spawnAll();
  }

  /**
   * Stops and joins the Workers, then reclaims every queue pair (by force for a Worker that
   * did not detach in `timeoutMs`). Idempotent. Throws WORKER when a Worker had failed.
   */
  async shutdown(timeoutMs = 2000): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.stopAll(timeoutMs);
  }

  /** @internal haltWorkers(): stop words, a blocking wait for the detach, terminate. */
  halt(deadline: number): boolean {
    const c = this.control;
    for (const word of [CONTROL_DRAIN, CONTROL_STOP, CONTROL_GO]) Atomics.store(c, word, 1);
    Atomics.notify(c, CONTROL_GO);
    for (;;) {
      const busy = Atomics.load(c, CONTROL_BUSY);
      const left = deadline - performance.now();
      if (busy === 0 || left <= 0) break;
      Atomics.wait(c, CONTROL_BUSY, busy, left);
    }
    for (const s of this.slots) s.worker.terminate();
    liveRuns.delete(this);
    return Atomics.load(c, CONTROL_BUSY) === 0;
  }

  // Exports every pair, starts a Worker for each and waits until all attached.
  private async spawnAll(): Promise<void> {
    const o = this.options;
    liveRuns.add(this);
    this.control = new Int32Array(new SharedArrayBuffer(16));
    if (this.going) Atomics.store(this.control, CONTROL_GO, 1); // resumed during the run
    const cpus = o.pin === true ? allowedCpus() : [];
    const stop = this.stop.buffer instanceof SharedArrayBuffer ? this.stop.buffer : null;
    try {
      for (let q = 0; q < o.queues; q++) {
        const slot = this.spawn(q);
        const start: WorkerStart = {
          index: q,
          queue: q,
          module: this.handoff.module,
          data: this.handoff.exportPair(q),
          batch: o.batch,
          mode: o.mode,
          cpu: cpus.length > 0 ? (cpus[q % cpus.length] as number) : null,
          control: this.control.buffer as SharedArrayBuffer,
          stop,
          counters: this.counters,
        };
        slot.exported = true;
        Atomics.add(this.control, CONTROL_BUSY, 1);
        slot.worker.postMessage(start);
      }
      await this.until(
        () => this.slots.every((s) => s.ready),
        o.startTimeoutMs ?? 10_000,
        "attach",
      );
    } catch (e) {
      this.closed = true;
      await this.stopAll(2000).catch(() => {}); // the first error is the one to report
      throw e;
    }
  }

  // Stops, joins and reclaims the current set of Workers; afterwards there is none.
  private async stopAll(timeoutMs: number): Promise<void> {
    Atomics.store(this.control, CONTROL_DRAIN, 1);
    Atomics.store(this.control, CONTROL_STOP, 1);
    Atomics.store(this.control, CONTROL_GO, 1); // a Worker still waiting to start goes straight to detach
    Atomics.notify(this.control, CONTROL_GO);
    const live = this.slots.filter((s) => s.failure === null && s.ready);
    await this.until(
      () => live.every((s) => s.done || s.failure !== null),
      timeoutMs,
      "stop",
    ).catch(
      () => {}, // reclaimed by force below
    );
    const errors: unknown[] = [];
    for (const s of this.slots) {
      s.worker.terminate();
      if (!s.exported) continue;
      try {
        this.handoff.reclaimPair(s.queue, !s.done);
      } catch (e) {
        errors.push(e);
      }
    }
    try {
      this.check();
    } catch (e) {
      this.failed = (e as Error).message;
    }
    this.slots = [];
    liveRuns.delete(this);
    this.check();
    if (errors.length > 0) throw errors[0];
  }

  private spawn(queue: number): Slot {
    const worker = new Worker(new URL("./worker-main.ts", import.meta.url).href);
    const slot: Slot = {
      queue,
      worker,
      ready: false,
      done: false,
      cpus: [],
      failure: null,
      exported: false,
    };
    worker.onmessage = (ev: MessageEvent<WorkerReport>) => {
      const m = ev.data;
      if (m.type === "ready") {
        slot.ready = true;
        slot.cpus = m.cpus;
      } else if (m.type === "done") slot.done = true;
      else slot.failure = `${m.message}${m.stack ? `\n${m.stack}` : ""}`;
    };
    worker.onerror = (ev: ErrorEvent) => {
      const stack = (ev.error as Error | undefined)?.stack;
      slot.failure = `${ev.message}${stack ? `\n${stack}` : ""}`;
    };
    this.slots.push(slot);
    return slot;
  }

  // Waits (yielding to the event loop, where Worker messages arrive) until `done()`; throws
  // WORKER at the first failure and on timeout.
  private async until(done: () => boolean, timeoutMs: number, what: string): Promise<void> {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      this.check();
      if (done()) return;
      if (performance.now() > deadline) {
        const late = this.slots
          .filter((s) => (what === "attach" ? !s.ready : !s.done))
          .map((s) => s.queue);
        throw new L2fwdError(
          "WORKER",
          `Workers for queue pairs ${late.join(", ")} did not ${what} within ${timeoutMs} ms`,
        );
      }
      await Bun.sleep(1);
    }
  }
}
