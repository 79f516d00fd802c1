/*
 * Wire: what a port's MAC is connected to. The port pulls inbound frames straight into host
 * receive buffers and pushes the frames it transmits; both calls are per packet, so they take
 * (view, offset, length) and allocate nothing. Frames carry no CRC (the port strips/appends it).
 * The port also passes a 32-bit view of the same memory (element i = bytes 4i..4i+3 of the
 * byte view), so wires that build or check frames can work a word at a time; wires that only
 * copy bytes ignore it.
 */
export interface Wire {
  /** The spec it was built from, e.g. "gen:rate=1000000,size=64" or "tap:dp0". */
  readonly spec: string;
  /**
   * Writes the next inbound frame into dst[offset ..], at most `maxLen` bytes, and returns its
   * full length (which may exceed maxLen: the port then sees a truncated frame and counts an
   * error), or 0 when no frame is ready now. `dst32`, when given, views the same memory as dst
   * from the same start.
   */
  pull(dst: Uint8Array, offset: number, maxLen: number, dst32?: Uint32Array): number;
  /**
   * Takes a frame the port transmitted; the bytes are valid only during the call. `src32`, when
   * given, views the same memory as src from the same start.
   */
  push(src: Uint8Array, offset: number, len: number, src32?: Uint32Array): void;
  /** Housekeeping from the device loop every few thousand iterations (flushes, rates). */
  tick(nowNs: number): void;
  /** Counters and validation results as plain JSON (generator/sink totals, latency, ...). */
  stats(): Record<string, unknown>;
  /** Releases fds, files, TAP devices. Idempotent. */
  close(): void;
}
