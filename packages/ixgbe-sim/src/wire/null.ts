/* null / none: a wire that produces nothing and drops everything (counted), for benchmarks. */
import type { Wire } from "./wire.ts";

/** Drops transmitted frames, produces none. */
export class NullWire implements Wire {
  dropped = 0;
  bytes = 0;

  constructor(readonly spec: string) {}

  pull(_dst: Uint8Array, _offset: number, _maxLen: number): number {
    return 0;
  }

  push(_src: Uint8Array, _offset: number, len: number): void {
    this.dropped++;
    this.bytes += len;
  }

  tick(_nowNs: number): void {}

  stats(): Record<string, unknown> {
    return { kind: "null", spec: this.spec, dropped: this.dropped, bytes: this.bytes };
  }

  close(): void {}
}
