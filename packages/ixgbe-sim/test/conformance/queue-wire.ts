/* A test wire: frames queued by the test arrive in order; transmitted frames are collected. */
import type { Wire } from "../../src/wire/wire.ts";

/** In-memory wire for tests (allocates per frame; not for benchmarks). */
export class QueueWire implements Wire {
  readonly spec = "test-queue";
  readonly inbound: Uint8Array[] = [];
  readonly outbound: Uint8Array[] = [];
  ticks = 0;

  pull(dst: Uint8Array, offset: number, maxLen: number): number {
    const f = this.inbound.shift();
    if (f === undefined) return 0;
    dst.set(f.subarray(0, Math.min(f.length, maxLen)), offset);
    return f.length;
  }

  push(src: Uint8Array, offset: number, len: number): void {
    this.outbound.push(src.slice(offset, offset + len));
  }

  tick(_nowNs: number): void {
    this.ticks++;
  }

  stats(): Record<string, unknown> {
    return { inbound: this.inbound.length, outbound: this.outbound.length };
  }

  close(): void {}
}
