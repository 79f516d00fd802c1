/*
 * A+B: one wire for each direction, e.g. gen+sink (generate inbound traffic, validate what the
 * port sends back) or pcap-in:a.pcap+pcap:b.pcap. pull() goes to the source part, push() to
 * the sink part.
 */
import type { Wire } from "./wire.ts";

/** Combines a source (pull side) and a sink (push side) into one Wire. */
export class DuplexWire implements Wire {
  private closed = false;

  constructor(
    readonly spec: string,
    readonly source: Wire,
    readonly sink: Wire,
  ) {}

  pull(dst: Uint8Array, offset: number, maxLen: number, dst32?: Uint32Array): number {
    return this.source.pull(dst, offset, maxLen, dst32);
  }

  push(src: Uint8Array, offset: number, len: number, src32?: Uint32Array): void {
    this.sink.push(src, offset, len, src32);
  }

  tick(nowNs: number): void {
    this.source.tick(nowNs);
    this.sink.tick(nowNs);
  }

  stats(): Record<string, unknown> {
    return { kind: "duplex", spec: this.spec, rx: this.source.stats(), tx: this.sink.stats() };
  }

  /** Closes both parts (the second even when the first throws). Idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    try {
      this.source.close();
    } finally {
      this.sink.close();
    }
  }
}
