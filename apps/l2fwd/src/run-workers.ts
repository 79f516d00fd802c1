/*
 * A forwarding run with one Worker per queue pair: the main thread watches the clock and the
 * stop flag, prints statistics from the ports and the Workers' shared counters, watches the
 * ports' health (a repair takes the queues home from the Workers and hands them out again),
 * and at the end drains, joins and reclaims (workers.ts). Same output and summary as run.ts.
 */
import { LiveReport } from "./live-report.ts";
import type { PortSet, QueueCustody } from "./port.ts";
import type { RunSettings } from "./run.ts";
import type { RunSummary } from "./stats.ts";
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
    const report = new LiveReport(set, workers.forwarders, s, out);
    workers.go();
    set.startTraffic?.();
    report.begin();
    while (!report.over(stop)) {
      const now = Bun.nanoseconds();
      const waitNs = Math.min(TICK_MS * 1e6, report.endNs - now, report.nextStatsNs - now);
      if (waitNs > 0) await Bun.sleep(Math.max(1, waitNs / 1e6));
      workers.check();
      await report.maintain(custody);
      report.tick();
    }
    const stoppedNs = Bun.nanoseconds();
    if (report.lost === null) {
      // With the device gone there is no traffic to stop and nothing left to drain.
      set.stopTraffic();
      workers.drain();
      await Bun.sleep(DRAIN_MS);
    }
    await workers.shutdown(); // joined and reclaimed: counters are final
    return report.summary(stoppedNs);
  } finally {
    await workers.shutdown();
  }
}
