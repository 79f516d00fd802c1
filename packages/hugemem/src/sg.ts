/* Scatter-gather lists: per-page physical addresses merged into physically contiguous segments. */

/** One physically contiguous piece of memory. */
export interface Segment {
  /** Physical address of the first byte. */
  readonly physical: number;
  readonly bytes: number;
}

/**
 * The segments of `bytes` bytes starting `offset` bytes into the first of `pages` (physical
 * address of each `pageSize`-byte page, in virtual order): physically adjacent pages merged.
 */
export function mergePages(
  pages: Float64Array,
  pageSize: number,
  offset: number,
  bytes: number,
): Segment[] {
  const out: Segment[] = [];
  let start = (pages[0] as number) + offset;
  let length = Math.min(bytes, pageSize - offset);
  let left = bytes - length;
  for (let i = 1; left > 0; i++) {
    const p = pages[i] as number;
    const take = Math.min(left, pageSize);
    if (p === start + length) {
      length += take;
    } else {
      out.push({ physical: start, bytes: length });
      start = p;
      length = take;
    }
    left -= take;
  }
  out.push({ physical: start, bytes: length });
  return out;
}

/** Segment count, largest segment and total bytes of an SG list, for reports. */
export function summarize(segments: readonly Segment[]): {
  count: number;
  largest: number;
  bytes: number;
} {
  let largest = 0;
  let bytes = 0;
  for (const s of segments) {
    largest = Math.max(largest, s.bytes);
    bytes += s.bytes;
  }
  return { count: segments.length, largest, bytes };
}
