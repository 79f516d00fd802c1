/* What `hugemem alloc` and `hugemem sg` print: an SG list with its summary, as text or JSON. */
import type { HugeRegion } from "./region.ts";
import { type Segment, summarize } from "./sg.ts";
import { pageSizeName } from "./size.ts";

const hex = (n: number): string => `0x${n.toString(16)}`;

/** Bytes as the largest whole unit that fits: "512 MiB", "64 GiB", "4096 B". */
export function bytesText(n: number): string {
  for (const [unit, size] of [
    ["GiB", 1024 ** 3],
    ["MiB", 1024 ** 2],
    ["KiB", 1024],
  ] as const) {
    if (n >= size && n % size === 0) return `${n / size} ${unit}`;
  }
  return `${n} B`;
}

/** The SG list as lines: a summary, then one "physical  bytes" line per segment. */
export function segmentLines(segments: readonly Segment[]): string[] {
  const sum = summarize(segments);
  const lines = [
    `SG list: ${sum.count} segment${sum.count === 1 ? "" : "s"}, largest ${bytesText(sum.largest)}, ` +
      `total ${bytesText(sum.bytes)}, contiguous: ${sum.count === 1 ? "yes" : "no"}`,
  ];
  for (const s of segments) lines.push(`  ${hex(s.physical).padEnd(18)} ${bytesText(s.bytes)}`);
  return lines;
}

/** JSON form of an SG list. */
export function segmentsJson(segments: readonly Segment[]) {
  const sum = summarize(segments);
  return {
    segments: segments.map((s) => ({ physical: s.physical, bytes: s.bytes })),
    segmentCount: sum.count,
    largestSegment: sum.largest,
    contiguous: sum.count === 1,
  };
}

/** Where another process finds a held region's memory. */
export function fdPath(region: HugeRegion): string | null {
  return region.fd >= 0 ? `/proc/${process.pid}/fd/${region.fd}` : null;
}

/** The report of `hugemem alloc` as text lines. */
export function regionLines(region: HugeRegion, segments: readonly Segment[]): string[] {
  const t = region.timings;
  const ms = (v: number) => `${v.toFixed(1)} ms`;
  return [
    `allocated ${bytesText(region.bytes)}: ${region.bytes / region.pageSize} x ${pageSizeName(region.pageSize)} pages, ` +
      `backing ${region.backing}, at ${hex(region.address)}`,
    `steps: map+populate ${ms(t.mapMs)}, lock ${ms(t.lockMs)}, prove ${ms(t.proveMs)}, ` +
      `addresses ${ms(t.addressesMs)}, physical order ${ms(t.orderMs)}`,
    ...segmentLines(segments),
  ];
}

/** The report of `hugemem alloc` as JSON. */
export function regionJson(region: HugeRegion, segments: readonly Segment[]) {
  return {
    pid: process.pid,
    bytes: region.bytes,
    pageSize: region.pageSize,
    pages: region.bytes / region.pageSize,
    backing: region.backing,
    address: region.address,
    fd: region.fd,
    fdPath: fdPath(region),
    fdOffset: region.fdOffset,
    timings: region.timings,
    ...segmentsJson(segments),
  };
}
