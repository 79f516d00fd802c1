/*
 * A forwarding run with one Worker per queue pair: the main thread watches the clock and the
 * stop flag, prints statistics from the ports and the Workers' shared counters, watches the
 * ports' health (a repair takes the queues home from the Workers and hands them out again),
 * and at the end drains, joins and reclaims (workers.ts). Same output and summary as run.ts.
 */
import { formatInterval, intervalHeader, intervalJson } from "./display.ts";
import { formatEvent } from "./health.ts";
import type { PortSet, QueueCustody } from "./port.ts";
import type { RunSettings } from "./run.ts";
import { intervalStats, type RunSummary, summarize, takeSnapshot } from "./stats.ts";
import { ForwardingWorkers } from "./workers.ts";

/** How often the main thread looks at the stop flag and the Workers, in ms. */
const TICK_MS = 20;
/** How long the Workers keep forwarding after the traffic stops (as run.ts), in ms. */
const DRAIN_MS = 200;

/**
 * Forwards between `set.ports[0]` and `[1]` with a Worker per queue pair until the duration
 * ends or `stop[0]` becomes non-zero. Throws L2fwdError WORKER when a Worker fails; the
 * Workers are stopped and their queue pairs reclaimed on every path.
 */
export async function runInWorkers(
  set: PortSet,
  s: RunSettings,
  stop: Int32Array,
  out: (line: string) => void,
): Promise<RunSummary> {
  const workers = await ForwardingWorkers.start(set, s, stop);
  // A port repair (health watch) needs the queues at home: the Workers go, and come back.
  const custody: QueueCustody = {
    takeHome: () => workers.pause(),
    handOut: () => workers.resume(),
  };
  try {
    const forwarders = workers.forwarders;
    const intervalNs = s.interval * 1e9;
    const first = takeSnapshot(set.ports, forwarders);
    workers.go();
    set.startTraffic?.();
    const startNs = first.timeNs;
    const endNs = s.duration > 0 ? startNs + s.duration * 1e9 : Number.POSITIVE_INFINITY;
    let prev = first;
    let nextStatsNs = startNs + intervalNs;
    if (!s.quiet && !s.json) out(intervalHeader());
    for (;;) {
      const now = Bun.nanoseconds();
      if (Atomics.load(stop, 0) !== 0 || now >= endNs) break;
      const waitNs = Math.min(TICK_MS * 1e6, endNs - now, nextStatsNs - now);
      if (waitNs > 0) await Bun.sleep(Math.max(1, waitNs / 1e6));
      workers.check();
      const m = set.maintain === undefined ? null : await set.maintain(custody);
      if (m !== null && !s.quiet) {
        const t = (Bun.nanoseconds() - startNs) / 1e9;
        for (const e of m.events) out(formatEvent(e, t, s.json));
      }
      if (Bun.nanoseconds() >= nextStatsNs) {
        const cur = takeSnapshot(set.ports, forwarders);
        if (!s.quiet) {
          const st = intervalStats(prev, cur, startNs);
          out(s.json ? intervalJson(st) : formatInterval(st));
        }
        prev = cur;
        nextStatsNs += intervalNs;
      }
    }
    const stoppedNs = Bun.nanoseconds();
    set.stopTraffic();
    workers.drain();
    await Bun.sleep(DRAIN_MS);
    await workers.shutdown(); // joined and reclaimed: counters are final
    const last = takeSnapshot(set.ports, forwarders, stoppedNs);
    const allowance = set.ports.length * s.queues * 2 * set.ringSize;
    return summarize(
      set.ports.map((p) => p.name),
      first,
      last,
      set.traffic(),
      allowance,
    );
  } finally {
    await workers.shutdown();
  }
}
