/* The performance report as data: a markdown table and a JSON document of the same points. */
import { describeMachine, type MachineInfo } from "./machine.ts";
import type { PerfPoint } from "./svg.ts";

/** A complete measurement, as written to docs/perf/. */
export interface PerfReport {
  readonly title: string;
  /** What the numbers measure, in one sentence. */
  readonly what: string;
  /** The exact command that produced the report. */
  readonly command: string;
  /** ISO date and time of the run. */
  readonly date: string;
  readonly machine: MachineInfo;
  /** Frame size on the wire in bytes, CRC included. */
  readonly frameBytes: number;
  /** Seconds each point was measured for. */
  readonly secondsPerPoint: number;
  readonly points: readonly PerfPoint[];
}

/** Rows = batch sizes, columns = Mpps and Gbit/s per queue count. */
export function markdownTable(points: readonly PerfPoint[]): string {
  const queues = [...new Set(points.map((p) => p.queues))].sort((a, b) => a - b);
  const batches = [...new Set(points.map((p) => p.batch))].sort((a, b) => a - b);
  const head = ["batch", ...queues.flatMap((q) => [`${q}q Mpps`, `${q}q Gbit/s`])];
  const rows = batches.map((b) => [
    String(b),
    ...queues.flatMap((q) => {
      const p = points.find((x) => x.queues === q && x.batch === b);
      return p ? [p.mpps.toFixed(3), p.gbps.toFixed(2)] : ["-", "-"];
    }),
  ]);
  const line = (cells: string[]) => `| ${cells.join(" | ")} |`;
  return [
    line(head),
    line(head.map((_, i) => (i === 0 ? "---:" : "---:"))),
    ...rows.map(line),
  ].join("\n");
}

/** The report as markdown: what, where, how, the table, and the plot `svgName` beside it. */
export function reportMarkdown(r: PerfReport, svgName: string): string {
  return [
    `# ${r.title}`,
    "",
    r.what,
    "",
    `- machine: ${describeMachine(r.machine)}`,
    `- frames: ${r.frameBytes} bytes on the wire (CRC included), ${r.secondsPerPoint} s per point`,
    `- measured: ${r.date}`,
    `- command: \`${r.command}\``,
    "",
    `![Mpps vs batch size](${svgName})`,
    "",
    markdownTable(r.points),
    "",
  ].join("\n");
}

/** The report as pretty-printed JSON. */
export function reportJson(r: PerfReport): string {
  return `${JSON.stringify(r, null, 2)}\n`;
}
