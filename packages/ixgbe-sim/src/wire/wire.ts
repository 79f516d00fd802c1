/*
 * Wire: what a port's MAC is connected to. The port pulls inbound frames straight into host
 * receive buffers and pushes the frames it transmits; both calls are per packet, so they take
 * (view, offset, length) and allocate nothing. Frames carry no CRC (the port strips/appends it).
 */
export interface Wire {
  /** The spec it was built from, e.g. "gen:rate=1000000,size=64" or "tap:dp0". */
  readonly spec: string;
  /**
   * Writes the next inbound frame into dst[offset ..], at most `maxLen` bytes, and returns its
   * full length (which may exceed maxLen: the port then sees a truncated frame and counts an
   * error), or 0 when no frame is ready now.
   */
  pull(dst: Uint8Array, offset: number, maxLen: number): number;
  /** Takes a frame the port transmitted; the bytes are valid only during the call. */
  push(src: Uint8Array, offset: number, len: number): void;
  /** Housekeeping from the device loop every few thousand iterations (flushes, rates). */
  tick(nowNs: number): void;
  /** Counters and validation results as plain JSON (generator/sink totals, latency, ...). */
  stats(): Record<string, unknown>;
  /** Releases fds, files, TAP devices. Idempotent. */
  close(): void;
}
