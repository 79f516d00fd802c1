/*
 * What a forwarding run shows while it runs and returns when it ends, whoever forwards (this
 * thread or Workers): the first snapshot, a statistics line per interval, the ports' health
 * events, and the summary over the frames still in the rings.
 */
import { formatInterval, intervalHeader, intervalJson } from "./display.ts";
import type { QueueForwarder } from "./forward.ts";
import { formatEvent } from "./health.ts";
import { inFlightAllowance } from "./ledger.ts";
import type { PortSet, QueueCustody } from "./port.ts";
import type { RunSettings } from "./run.ts";
import { intervalStats, type RunSummary, type Snapshot, summarize, takeSnapshot } from "./stats.ts";

type Counted = readonly Pick<QueueForwarder, "counters">[];

/** How a verdict reason about ports that went away begins. */
export const LOST_PREFIX = "lost the device during the run";

/** The clock, output and summary of one run. Make it right before the traffic starts. */
export class LiveReport {
  readonly startNs: number;
  /** When the run ends (Infinity: when stopped). */
  readonly endNs: number;
  /** When the next statistics line is due. */
  nextStatsNs: number;
  private readonly first: Snapshot;
  private prev: Snapshot;
  /** Ports set up again after a fault: each loses what its rings held (ledger.ts). */
  private recoveries = 0;
  /**
   * Why the ports can no longer be reached (their device server died or stopped answering),
   * or null. Set by maintain()/tick() instead of throwing: the run then ends, and its summary
   * covers what was forwarded until the last statistics that could still be read.
   */
  lost: string | null = null;

  constructor(
    private readonly set: PortSet,
    private readonly forwarders: Counted,
    private readonly s: RunSettings,
    private readonly out: (line: string) => void,
  ) {
    this.first = takeSnapshot(set.ports, forwarders);
    this.prev = this.first;
    this.startNs = this.first.timeNs;
    this.endNs = s.duration > 0 ? this.startNs + s.duration * 1e9 : Number.POSITIVE_INFINITY;
    this.nextStatsNs = this.startNs + s.interval * 1e9;
  }

  /** Prints the table header (text mode). */
  begin(): void {
    if (!this.s.quiet && !this.s.json) this.out(intervalHeader());
  }

  /** True once the duration is over, `stop[0]` is set, or the ports were lost. */
  over(stop: Int32Array): boolean {
    return this.lost !== null || Atomics.load(stop, 0) !== 0 || Bun.nanoseconds() >= this.endNs;
  }

  /** Runs the ports' health watch, if any, and prints what it reports. */
  async maintain(custody?: QueueCustody): Promise<void> {
    if (this.lost !== null || this.set.maintain === undefined) return;
    let m: Awaited<ReturnType<NonNullable<PortSet["maintain"]>>>;
    try {
      m = await this.set.maintain(custody);
    } catch (e) {
      this.loseDevice(e);
      return;
    }
    if (m === null) return;
    for (const e of m.events) if (e.kind === "recovered") this.recoveries++;
    if (this.s.quiet) return;
    const t = (Bun.nanoseconds() - this.startNs) / 1e9;
    for (const e of m.events) this.out(formatEvent(e, t, this.s.json));
  }

  /** Prints a statistics line when one is due. */
  tick(): void {
    if (this.lost !== null || Bun.nanoseconds() < this.nextStatsNs) return;
    let cur: Snapshot;
    try {
      cur = takeSnapshot(this.set.ports, this.forwarders);
    } catch (e) {
      this.loseDevice(e);
      return;
    }
    if (!this.s.quiet) {
      const st = intervalStats(this.prev, cur, this.startNs);
      this.out(this.s.json ? intervalJson(st) : formatInterval(st));
    }
    this.prev = cur;
    this.nextStatsNs += this.s.interval * 1e9;
  }

  /**
   * The run's summary. Call after the rings were drained: counters then include the drained
   * frames, while the rate is over the time forwarding was asked for (until `stoppedNs`).
   */
  summary(stoppedNs: number): RunSummary {
    let last: Snapshot = this.prev;
    if (this.lost === null) {
      try {
        last = takeSnapshot(this.set.ports, this.forwarders, stoppedNs);
      } catch (e) {
        this.loseDevice(e);
      }
    }
    if (this.lost !== null) return this.lostSummary(last);
    const shape = {
      queues: this.s.queues,
      ringSize: this.set.ringSize,
      poolSize: this.set.poolSize ?? Number.POSITIVE_INFINITY,
    };
    const allowance = inFlightAllowance(shape, this.recoveries);
    const names = this.set.ports.map((p) => p.name);
    return summarize(names, this.first, last, this.set.traffic(), allowance);
  }

  /**
   * Records that the ports cannot be reached any more (a device or transport error: one with a
   * code, such as VfioError DISCONNECTED or TIMEOUT, or IxgbeError). Anything else is a bug, and
   * is rethrown rather than reported as a lost device.
   */
  private loseDevice(e: unknown): void {
    if (!(e instanceof Error) || typeof (e as { code?: unknown }).code !== "string") throw e;
    if (this.lost !== null) return;
    this.lost = `${LOST_PREFIX}: ${e.message}`;
  }

  /**
   * The summary of a run whose ports were lost: the counts up to the last statistics read
   * (`last`), no traffic validation (the model that measured it is gone), verdict FAILED.
   */
  private lostSummary(last: Snapshot): RunSummary {
    const names = this.set.ports.map((p) => p.name);
    const s = summarize(names, this.first, last, null, 0);
    return { ...s, verdict: { ok: false, validated: false, reasons: [this.lost as string] } };
  }
}
