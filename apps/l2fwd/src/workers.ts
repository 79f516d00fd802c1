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

/** How a run uses Workers: auto = when queues > 1 and the ports allow it. */
export type WorkerMode = "auto" | "on" | "off";

/** Control word (Int32, shared with every Worker): stop generated traffic, keep forwarding. */
export const CONTROL_DRAIN = 0;
/** Control word: set after the drain: detach and finish. */
export const CONTROL_STOP = 1;
/** Control word: set once the main thread took its first snapshot: start forwarding. */
export const CONTROL_GO = 2;

/** What worker-main.ts receives first. */
export interface WorkerStart {
  readonly index: number;
  /** Queue pair number on the main thread's ports. */
  readonly queue: number;
  /** The WorkerHandoff module to import, and what its attachPorts gets. */
  readonly module: string;
  readonly data: unknown;
  readonly batch: number;
  readonly mode: ForwardMode;
  /** CPU to pin to, or null. */
  readonly cpu: number | null;
  /** Int32 words CONTROL_DRAIN, CONTROL_STOP, CONTROL_GO. */
  readonly control: SharedArrayBuffer;
  /** The run's stop flag (Ctrl-C) when it lives in shared memory; seen like CONTROL_DRAIN. */
  readonly stop: SharedArrayBuffer | null;
  /** COUNTER_SLOTS float64 per Worker, Worker `index` at index * COUNTER_SLOTS. */
  readonly counters: SharedArrayBuffer;
}

/** What a Worker reports. */
export type WorkerReport =
  | { readonly type: "ready"; readonly cpus: readonly number[] }
  | { readonly type: "done"; readonly loops: number }
  | { readonly type: "error"; readonly message: string; readonly stack?: string };

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
 * Whether a run over `set` uses Workers. Throws NOT_AVAILABLE for "on" when the ports cannot
 * be driven from Workers (e.g. in-memory ports made without `workers: true`).
 */
export function useWorkers(set: PortSet, mode: WorkerMode, queues: number): boolean {
  if (mode === "off") return false;
  if (set.workers === undefined) {
    if (mode === "auto") return false;
    throw new L2fwdError(
      "NOT_AVAILABLE",
      `--workers=on: ports ${set.ports.map((p) => p.name).join(" and ")} cannot be driven from Worker threads (their queues are not exportable, e.g. trapped doorbells); use --workers=off`,
    );
  }
  return mode === "on" || queues > 1;
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

/** The running Workers of one forwarding run. */
export class ForwardingWorkers {
  /** Per Worker (= queue pair): its forwarder's counters, live (indexed by `Counter`). */
  readonly forwarders: { readonly counters: Float64Array }[];
  private readonly control: Int32Array;
  private readonly slots: Slot[] = [];
  private closed = false;

  private constructor(
    private readonly handoff: WorkerHandoff,
    queues: number,
  ) {
    this.control = new Int32Array(new SharedArrayBuffer(16));
    const counters = new SharedArrayBuffer(queues * COUNTER_SLOTS * 8);
    this.forwarders = Array.from({ length: queues }, (_, i) => ({
      counters: new Float64Array(counters, i * COUNTER_SLOTS * 8, COUNTER_SLOTS),
    }));
  }

  /**
   * Exports every queue pair of `set` and starts one Worker per pair; resolves once all
   * attached. They wait for go() before forwarding. Throws WORKER (with the Worker's stack) or NOT_AVAILABLE; on failure everything
   * started is stopped and reclaimed.
   */
  static async start(set: PortSet, o: WorkerOptions, stop: Int32Array): Promise<ForwardingWorkers> {
    const handoff = set.workers;
    if (handoff === undefined)
      throw new L2fwdError("NOT_AVAILABLE", "these ports have no Worker support");
    const w = new ForwardingWorkers(handoff, o.queues);
    const cpus = o.pin === true ? allowedCpus() : [];
    const counters = (w.forwarders[0]?.counters.buffer ??
      new SharedArrayBuffer(8)) as SharedArrayBuffer;
    try {
      for (let q = 0; q < o.queues; q++) {
        const slot = w.spawn(q);
        const start: WorkerStart = {
          index: q,
          queue: q,
          module: handoff.module,
          data: handoff.exportPair(q),
          batch: o.batch,
          mode: o.mode,
          cpu: cpus.length > 0 ? (cpus[q % cpus.length] as number) : null,
          control: w.control.buffer as SharedArrayBuffer,
          stop: stop.buffer instanceof SharedArrayBuffer ? stop.buffer : null,
          counters,
        };
        slot.exported = true;
        slot.worker.postMessage(start);
      }
      await w.until(() => w.slots.every((s) => s.ready), o.startTimeoutMs ?? 10_000, "attach");
    } catch (e) {
      await w.shutdown().catch(() => {}); // the first error is the one to report
      throw e;
    }
    return w;
  }

  /** The CPUs each Worker may run on, as it reported after pinning. */
  get cpus(): (readonly number[])[] {
    return this.slots.map((s) => s.cpus);
  }

  /** Throws WORKER when a Worker failed, with its message and stack. */
  check(): void {
    const bad = this.slots.find((s) => s.failure !== null);
    if (bad) {
      throw new L2fwdError(
        "WORKER",
        `the Worker for queue pair ${bad.queue} failed: ${bad.failure}`,
      );
    }
  }

  /** Lets the attached Workers start forwarding (after the first counter snapshot). */
  go(): void {
    Atomics.store(this.control, CONTROL_GO, 1);
    Atomics.notify(this.control, CONTROL_GO);
  }

  /** Asks the Workers to stop generated traffic and keep forwarding (the rings drain). */
  drain(): void {
    Atomics.store(this.control, CONTROL_DRAIN, 1);
  }

  /**
   * Stops and joins the Workers, then reclaims every queue pair (by force for a Worker that
   * did not detach in `timeoutMs`). Idempotent. Throws WORKER when a Worker had failed.
   */
  async shutdown(timeoutMs = 2000): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    Atomics.store(this.control, CONTROL_DRAIN, 1);
    Atomics.store(this.control, CONTROL_STOP, 1);
    this.go(); // a Worker still waiting to start goes straight to detach
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
