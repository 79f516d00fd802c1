/*
 * Output: the live per-interval table, the same as JSON lines, and the final summary (text
 * or one JSON object). Pure string builders; the caller decides where they go.
 */
import type { LossLedger } from "./ledger.ts";
import type { LatencyPercentiles } from "./port.ts";
import type { IntervalStats, RunSummary } from "./stats.ts";

const COLUMNS = [
  "time",
  "port",
  "rx Mpps",
  "rx Gbit/s",
  "tx Mpps",
  "tx Gbit/s",
  "rx drop",
  "tx drop",
];
const WIDTHS = [8, 5, 9, 10, 9, 10, 10, 10];

const pad = (s: string, w: number): string => s.padStart(w);
const fixed = (v: number, digits = 3): string => v.toFixed(digits);
const count = (v: number): string => Math.round(v).toLocaleString("en-US");

/** The header line of the live table. */
export function intervalHeader(): string {
  return COLUMNS.map((c, i) => pad(c, WIDTHS[i] as number)).join(" ");
}

/** One row per port for one interval; the time is printed on the first row only. */
export function formatInterval(s: IntervalStats): string {
  return s.ports
    .map((p, i) =>
      [
        i === 0 ? `${s.elapsed.toFixed(s.seconds < 0.95 ? 2 : 1)} s` : "",
        String(i),
        fixed(p.rxMpps),
        fixed(p.rxGbps),
        fixed(p.txMpps),
        fixed(p.txGbps),
        count(p.rxDropped),
        count(p.txDropped),
      ]
        .map((c, k) => pad(c, WIDTHS[k] as number))
        .join(" "),
    )
    .join("\n");
}

const round = (v: number, digits = 4): number => Number(v.toFixed(digits));

/** One interval as a single-line JSON object (`"type": "interval"`). */
export function intervalJson(s: IntervalStats): string {
  return JSON.stringify({
    type: "interval",
    elapsed: round(s.elapsed, 3),
    seconds: round(s.seconds, 3),
    ports: s.ports.map((p, port) => ({
      port,
      rxMpps: round(p.rxMpps),
      rxGbps: round(p.rxGbps),
      txMpps: round(p.txMpps),
      txGbps: round(p.txGbps),
      rxDropped: p.rxDropped,
      txDropped: p.txDropped,
    })),
  });
}

/** The summary as a single-line JSON object (`"type": "summary"`). */
export function summaryJson(s: RunSummary): string {
  return JSON.stringify({ type: "summary", ...s, forwardedMpps: round(s.forwardedMpps) });
}

/** Nanoseconds as a short human string: 850 ns, 12.3 us, 4.56 ms. */
export function formatNs(ns: number): string {
  if (ns < 1e3) return `${Math.round(ns)} ns`;
  if (ns < 1e6) return `${(ns / 1e3).toFixed(1)} us`;
  return `${(ns / 1e6).toFixed(2)} ms`;
}

function latencyLine(l: LatencyPercentiles): string {
  return `p50 ${formatNs(l.p50)}, p90 ${formatNs(l.p90)}, p99 ${formatNs(l.p99)}, p99.9 ${formatNs(l.p999)}, max ${formatNs(l.max)}`;
}

// Where the lost frames went: the card's drops by reason, the forwarder's, the rings'.
function ledgerLine(s: RunSummary): string {
  const l = s.ledger as LossLedger;
  const drops = Object.entries(s.traffic?.card?.drops ?? {}).filter(([, v]) => v > 0);
  const why =
    drops.length === 0 ? "" : ` (${drops.map(([k, v]) => `${k} ${count(v)}`).join(", ")})`;
  const parts = [
    `card ${count(l.cardDropped)}${why}`,
    `forwarder ${count(l.forwarderDropped)}`,
    `in rings ${count(l.inRings)} (up to ${count(s.inFlightAllowance)})`,
  ];
  if (l.inCard !== 0) parts.push(`held in the card ${count(l.inCard)}`);
  const rest = l.unexplained === 0 ? "" : `, unexplained ${count(l.unexplained)}`;
  return `${parts.join(" + ")}${rest}`;
}

/** The final summary as text, ending with the validation verdict. */
export function formatSummary(s: RunSummary, setup: string): string {
  const row = (label: string, value: string) => `  ${label.padEnd(18)}${value}`;
  const lines = [`Summary after ${s.seconds.toFixed(1)} s (${setup})`];
  s.ports.forEach((p, i) => {
    lines.push(
      row(
        `port ${i}`,
        `${p.name}: received ${count(p.rxPackets)}, sent ${count(p.txPackets)}, rx dropped ${count(p.rxDropped)}, tx dropped ${count(p.txDropped)}`,
      ),
    );
  });
  lines.push(row("forwarded", `${count(s.forwarded)} frames (${fixed(s.forwardedMpps)} Mpps)`));
  lines.push(
    row("dropped", `${count(s.rxDropped)} on receive, ${count(s.txDropped)} on a full TX ring`),
  );
  const t = s.traffic;
  if (t) {
    lines.push(row("generated", count(t.generated)));
    if (t.notOffered !== undefined && t.notOffered > 0) {
      lines.push(
        row("not offered", `${count(t.notOffered)} (made while a port was not receiving)`),
      );
    }
    lines.push(row("received", `${count(t.received)} (by the sinks)`));
    lines.push(row("lost", count(t.lost)));
    if (s.ledger !== null) lines.push(row("  accounted", ledgerLine(s)));
    lines.push(row("reordered", count(t.reordered)));
    lines.push(row("duplicated", count(t.duplicated)));
    lines.push(row("corrupted", count(t.corrupted)));
    lines.push(row("latency", t.latencyNs ? latencyLine(t.latencyNs) : "no stamped frames seen"));
    lines.push(row("sink verdict", t.sinkOk ? "ok" : `failed: ${t.sinkReasons.join("; ")}`));
  }
  const v = s.verdict;
  if (!v.ok)
    lines.push(row("validation", `FAILED\n${v.reasons.map((r) => `    - ${r}`).join("\n")}`));
  else if (!v.validated)
    lines.push(row("validation", "not validated (no generator/sink on these ports)"));
  else lines.push(row("validation", "PASSED"));
  return lines.join("\n");
}
