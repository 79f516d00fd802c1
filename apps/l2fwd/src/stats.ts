/*
 * Statistics: snapshots of cumulative counters (ports and forwarders), per-interval rates
 * from two snapshots, and the end-of-run summary with its validation verdict.
 *
 * Rate convention: Mpps = 10^6 frames/s. Gbit/s counts each frame's bytes including its 4-byte
 * CRC plus 20 bytes of preamble (7), start delimiter (1) and inter-frame gap (12): what the
 * frame occupies on the wire, the way line rates are quoted. So 64-byte frames at 10 GbE line
 * rate are 14.88 Mpps = 10.0 Gbit/s, where counting frame bytes alone would say 7.6 Gbit/s.
 */
import { Counter, type QueueForwarder } from "./forward.ts";
import { balance, type LossLedger } from "./ledger.ts";
import type { PortCounters, TrafficReport } from "./port.ts";

/** Bytes of preamble, start-of-frame delimiter and inter-frame gap per frame on the wire. */
export const WIRE_OVERHEAD_BYTES = 20;

/** Cumulative counters of everything at one instant. */
export interface Snapshot {
  /** Bun.nanoseconds() when taken. */
  readonly timeNs: number;
  readonly ports: readonly PortCounters[];
  /** Per port: frames the forwarder dropped because that port's TX ring was full. */
  readonly txDropped: readonly number[];
  /** Per port: frames the forwarder sent through that port. */
  readonly forwarded: readonly number[];
  /** Per port: frames the forwarder took from that port's RX rings (absent: not counted). */
  readonly taken?: readonly number[];
}

/** One port's rates over one interval. */
export interface PortRates {
  readonly rxMpps: number;
  readonly rxGbps: number;
  readonly txMpps: number;
  readonly txGbps: number;
  /** Frames dropped on receive during the interval (no descriptor, errors). */
  readonly rxDropped: number;
  /** Frames dropped during the interval because this port's TX ring was full. */
  readonly txDropped: number;
}

/** Rates of all ports over one interval. */
export interface IntervalStats {
  /** Seconds since the run started, at the end of the interval. */
  readonly elapsed: number;
  /** Length of the interval in seconds. */
  readonly seconds: number;
  readonly ports: readonly PortRates[];
}

/**
 * Reads all counters now. Port i's sent/dropped counts come from the forwarders' AB side for
 * port b (index 1) and BA side for port a (index 0).
 */
export function takeSnapshot(
  ports: readonly { stats(): PortCounters }[],
  forwarders: readonly Pick<QueueForwarder, "counters">[],
  timeNs = Bun.nanoseconds(),
): Snapshot {
  const txDropped = [0, 0];
  const forwarded = [0, 0];
  const taken = [0, 0];
  for (const f of forwarders) {
    const c = f.counters;
    taken[0] += c[Counter.RX_AB];
    forwarded[1] += c[Counter.TX_AB];
    txDropped[1] += c[Counter.DROP_AB];
    taken[1] += c[Counter.RX_BA];
    forwarded[0] += c[Counter.TX_BA];
    txDropped[0] += c[Counter.DROP_BA];
  }
  return { timeNs, ports: ports.map((p) => p.stats()), txDropped, forwarded, taken };
}

/** Million frames per second. */
export function mpps(frames: number, seconds: number): number {
  return seconds > 0 ? frames / seconds / 1e6 : 0;
}

/** Line-rate Gbit/s for `frames` frames of `bytes` bytes in total (CRC included). */
export function gbps(frames: number, bytes: number, seconds: number): number {
  return seconds > 0 ? ((bytes + WIRE_OVERHEAD_BYTES * frames) * 8) / seconds / 1e9 : 0;
}

/** Rates between two snapshots; `startNs` is when the run began. */
export function intervalStats(prev: Snapshot, cur: Snapshot, startNs: number): IntervalStats {
  const seconds = (cur.timeNs - prev.timeNs) / 1e9;
  const ports = cur.ports.map((c, i) => {
    const p = prev.ports[i] as PortCounters;
    const rx = c.rxPackets - p.rxPackets;
    const tx = c.txPackets - p.txPackets;
    return {
      rxMpps: mpps(rx, seconds),
      rxGbps: gbps(rx, c.rxBytes - p.rxBytes, seconds),
      txMpps: mpps(tx, seconds),
      txGbps: gbps(tx, c.txBytes - p.txBytes, seconds),
      rxDropped: c.rxDropped - p.rxDropped,
      txDropped: (cur.txDropped[i] ?? 0) - (prev.txDropped[i] ?? 0),
    };
  });
  return { elapsed: (cur.timeNs - startNs) / 1e9, seconds, ports };
}

/** Per-port totals over the whole run. */
export interface PortTotals {
  readonly name: string;
  readonly rxPackets: number;
  readonly txPackets: number;
  readonly rxDropped: number;
  readonly txDropped: number;
}

/** Everything the final report says. */
export interface RunSummary {
  readonly seconds: number;
  readonly ports: readonly PortTotals[];
  /** Frames the forwarder handed to a TX queue that took them. */
  readonly forwarded: number;
  readonly forwardedMpps: number;
  /** Frames dropped: by the ports on receive, and by the forwarder on a full TX ring. */
  readonly rxDropped: number;
  readonly txDropped: number;
  readonly traffic: TrafficReport | null;
  /** Where the lost frames went (ledger.ts); null without a traffic report. */
  readonly ledger: LossLedger | null;
  /** The most frames the rings can account for (lost at fault recoveries or left at the end). */
  readonly inFlightAllowance: number;
  readonly verdict: Verdict;
}

/** Validation result. `validated` is false when no generator/sink measured the traffic. */
export interface Verdict {
  readonly ok: boolean;
  readonly validated: boolean;
  readonly reasons: readonly string[];
}

/** Builds the summary from the first and last snapshot and the sink's report. */
export function summarize(
  names: readonly string[],
  first: Snapshot,
  last: Snapshot,
  traffic: TrafficReport | null,
  inFlightAllowance: number,
): RunSummary {
  const seconds = (last.timeNs - first.timeNs) / 1e9;
  const ports = names.map((name, i) => {
    const a = first.ports[i] as PortCounters;
    const b = last.ports[i] as PortCounters;
    return {
      name,
      rxPackets: b.rxPackets - a.rxPackets,
      txPackets: b.txPackets - a.txPackets,
      rxDropped: b.rxDropped - a.rxDropped,
      txDropped: (last.txDropped[i] ?? 0) - (first.txDropped[i] ?? 0),
    };
  });
  const sum = (f: (p: PortTotals) => number) => ports.reduce((s, p) => s + f(p), 0);
  const delta = (l: readonly number[] | undefined, f: readonly number[] | undefined) =>
    (l ?? []).reduce((s, v, i) => s + v - (f?.[i] ?? 0), 0);
  const forwarded = delta(last.forwarded, first.forwarded);
  const rxDropped = sum((p) => p.rxDropped);
  const txDropped = sum((p) => p.txDropped);
  const ledger =
    traffic === null
      ? null
      : balance(traffic, {
          taken: delta(last.taken, first.taken),
          forwarded,
          dropped: txDropped,
          portRxDropped: rxDropped,
        });
  return {
    seconds,
    ports,
    forwarded,
    forwardedMpps: mpps(forwarded, seconds),
    rxDropped,
    txDropped,
    traffic,
    ledger,
    inFlightAllowance,
    verdict: judge(traffic, ledger, inFlightAllowance),
  };
}

/**
 * The validation rules: traffic must have flowed; no frame corrupted, duplicated or reordered
 * (RSS keeps a flow on one queue, so per-flow order must hold); every lost frame accounted for
 * by the ledger, exactly; and the frames the ledger finds lost in the rings no more than the
 * rings can hold (`allowance`, ledger.ts).
 */
export function judge(
  traffic: TrafficReport | null,
  ledger: LossLedger | null,
  allowance: number,
): Verdict {
  if (traffic === null) return { ok: true, validated: false, reasons: [] };
  const reasons: string[] = [];
  if (traffic.generated === 0) reasons.push("the generators sent no frames");
  else if (traffic.received === 0) reasons.push("the sinks received no frames");
  if (traffic.corrupted > 0) reasons.push(`${traffic.corrupted} frames arrived corrupted`);
  if (traffic.duplicated > 0) reasons.push(`${traffic.duplicated} frames arrived twice`);
  if (traffic.reordered > 0) reasons.push(`${traffic.reordered} frames arrived out of order`);
  if (ledger !== null && ledger.unexplained !== 0) {
    const l = ledger;
    reasons.push(
      `${l.unexplained} lost frames are not explained by any count (${l.lost} lost; ${l.cardDropped} dropped by the card, ${l.forwarderDropped} by the forwarder on a full TX ring, ${l.inRings} lost in the rings, ${l.inCard} held in the card)`,
    );
  }
  if (ledger !== null && (ledger.inRings < 0 || ledger.inRings > allowance)) {
    reasons.push(
      `${ledger.inRings} frames lost in the rings, outside 0..${allowance} (what the rings can hold at the recoveries and at the end): the card's and the forwarder's counts disagree`,
    );
  }
  if (!traffic.sinkOk) for (const r of traffic.sinkReasons) reasons.push(`sink: ${r}`);
  return { ok: reasons.length === 0, validated: true, reasons };
}
