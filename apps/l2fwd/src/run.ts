/*
 * One forwarding run over an opened PortSet: a QueueForwarder per queue pair, polled in
 * slices so the event loop can deliver signals and the statistics timer between slices;
 * at the end the traffic is stopped, the rings drained, and the summary built.
 */
import { Counter, type ForwardMode, pollForwarders, QueueForwarder } from "./forward.ts";
import { LiveReport } from "./live-report.ts";
import type { PortSet } from "./port.ts";
import { runInWorkers } from "./run-workers.ts";
import type { RunSummary } from "./stats.ts";
import { useWorkers, type WorkerMode } from "./workers.ts";

/** How long one polling slice runs before the event loop gets a turn, in ns. */
const SLICE_NS = 20e6;
/**
 * After the traffic stops the forwarder keeps running until it received nothing for this
 * long (the rings are empty), in ns; but not longer than DRAIN_MAX_NS.
 */
const DRAIN_NS = 200e6;
const DRAIN_MAX_NS = 3e9;

/** The parts of the configuration a run uses. */
export interface RunSettings {
  readonly batch: number;
  readonly queues: number;
  readonly mode: ForwardMode;
  /** Seconds; 0 = until `stop` is set. */
  readonly duration: number;
  /** Seconds between statistics lines. */
  readonly interval: number;
  readonly json: boolean;
  readonly quiet: boolean;
  /** One Worker thread per queue pair (workers.ts); default "auto": when the ports allow it. */
  readonly workers?: WorkerMode;
  /** Pin Worker i to the i-th allowed CPU. */
  readonly pin?: boolean;
}

/**
 * Forwards between `set.ports[0]` and `[1]` until the duration ends or `stop[0]` becomes
 * non-zero, writing live statistics through `out`; resolves to the run's summary. With
 * Workers (settings.workers, PortSet.workers) each queue pair runs in its own thread.
 */
export async function runForwarding(
  set: PortSet,
  s: RunSettings,
  stop: Int32Array,
  out: (line: string) => void,
): Promise<RunSummary> {
  const [a, b] = set.ports;
  if (!a || !b || set.ports.length !== 2) {
    throw new RangeError(`forwarding needs exactly two ports, got ${set.ports.length}`);
  }
  if (useWorkers(set, s.workers ?? "auto")) return runInWorkers(set, s, stop, out);
  const forwarders = Array.from(
    { length: s.queues },
    (_, queue) => new QueueForwarder({ a, b, queue, batch: s.batch, mode: s.mode }),
  );
  const report = new LiveReport(set, forwarders, s, out);
  set.startTraffic?.();
  report.begin();
  while (!report.over(stop)) {
    const now = Bun.nanoseconds();
    pollForwarders(forwarders, Math.min(now + SLICE_NS, report.endNs, report.nextStatsNs), stop);
    await report.maintain();
    report.tick();
    await nextTurn(); // lets signal handlers and timers run between slices
  }
  const stoppedNs = Bun.nanoseconds();
  if (report.lost === null) {
    // With the device gone there is no traffic to stop and nothing left to drain.
    set.stopTraffic();
    drain(forwarders);
  }
  return report.summary(stoppedNs);
}

// Runs the forwarders until DRAIN_NS passed without a received frame (or DRAIN_MAX_NS).
function drain(forwarders: readonly QueueForwarder[]): void {
  const noStop = new Int32Array(1);
  const startNs = Bun.nanoseconds();
  const received = () =>
    forwarders.reduce((n, f) => n + f.counters[Counter.RX_AB] + f.counters[Counter.RX_BA], 0);
  let seen = received();
  let quietSinceNs = startNs;
  for (;;) {
    const now = Bun.nanoseconds();
    if (now - quietSinceNs >= DRAIN_NS || now - startNs >= DRAIN_MAX_NS) return;
    pollForwarders(forwarders, now + SLICE_NS, noStop);
    const r = received();
    if (r !== seen) {
      seen = r;
      quietSinceNs = Bun.nanoseconds();
    }
  }
}

function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
