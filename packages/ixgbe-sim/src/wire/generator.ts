/*
 * gen: a traffic generator. Per-flow frame heads (the first 60 bytes, which hold every
 * per-flow field) and one shared pattern tail are built once; per frame pull() copies them
 * into the host buffer and patches sequence, timestamp and checksum (format in frame.ts).
 * Flows take turns round robin, so flow f's n-th frame carries sequence n.
 */
import {
  buildTemplate,
  CSUM_MOD,
  formatMac,
  MIN_FRAME,
  OFF_CSUM,
  OFF_SEQ,
  OFF_TS,
  putU32,
  stampChecksum,
} from "./frame.ts";
import { TokenBucket } from "./token-bucket.ts";
import type { Wire } from "./wire.ts";

/** Settings of a generator (parsed from "gen:..." by parseWireSpec). */
export interface GeneratorOptions {
  /** Frames per second; Infinity for as fast as pulled. */
  rate: number;
  /** Frame length in bytes without CRC, 60..9000 (60 = a 64-byte frame on the wire). */
  size: number;
  /** Number of distinct 5-tuples, 1..65536. */
  flows: number;
  /** Stop after this many frames; Infinity for never. */
  count: number;
  /** Frames granted per clock read / token-bucket depth. */
  burst: number;
  /** Generator id stamped into every frame, 0..255. */
  id: number;
  /** Destination MAC of every frame (the port's own MAC passes its unicast filter). */
  dstMac: Uint8Array;
}

/** A Wire whose pull() produces generated, stamped frames; push() discards. */
export class GeneratorWire implements Wire {
  /** Frames produced so far (also the final count a linked sink checks against). */
  sent = 0;
  /** Bytes produced so far (without CRC). */
  bytes = 0;
  /** Frames cut short because the host buffer was smaller than the frame. */
  truncated = 0;
  /** Frames handed to push(), which a pure generator ignores. */
  ignored = 0;
  private flow = 0;
  private seq = 0;
  private left = 0;
  private stamp = 0;
  private readonly heads: Uint8Array[];
  private readonly tail: Uint8Array;
  private readonly baseA: Int32Array;
  private readonly baseB: Int32Array;
  private readonly bucket: TokenBucket;
  private readonly scratch: Uint8Array;

  constructor(
    readonly spec: string,
    readonly options: GeneratorOptions,
  ) {
    const { size, flows, id } = options;
    const srcMac = Uint8Array.of(0x02, 0xda, 0x7a, 0, 0, id);
    const headBytes = new Uint8Array(flows * MIN_FRAME);
    this.heads = [];
    this.baseA = new Int32Array(flows);
    this.baseB = new Int32Array(flows);
    let full: Uint8Array = new Uint8Array(0);
    for (let f = 0; f < flows; f++) {
      full = buildTemplate({ size, dstMac: options.dstMac, srcMac, genId: id, flow: f });
      headBytes.set(full.subarray(0, MIN_FRAME), f * MIN_FRAME);
      this.heads.push(headBytes.subarray(f * MIN_FRAME, (f + 1) * MIN_FRAME));
      const sum = stampChecksum(full, 0, size);
      this.baseA[f] = sum & 0xffff;
      this.baseB[f] = sum >>> 16;
    }
    this.tail = full.slice(MIN_FRAME); // the pattern does not depend on the flow
    this.scratch = new Uint8Array(size);
    this.bucket = new TokenBucket(options.rate, options.burst);
  }

  /** Writes the next frame into dst[offset ..]; 0 when the rate or count allows none now. */
  pull(dst: Uint8Array, offset: number, maxLen: number): number {
    if (this.left === 0 && !this.grant()) return 0;
    const size = this.options.size;
    if (maxLen >= size) {
      this.writeFrame(dst, offset);
    } else {
      this.writeFrame(this.scratch, 0);
      const s = this.scratch;
      for (let i = 0; i < maxLen; i++) dst[offset + i] = s[i] as number;
      this.truncated++;
    }
    this.left--;
    this.sent++;
    this.bytes += size;
    if (++this.flow === this.options.flows) {
      this.flow = 0;
      this.seq = (this.seq + 1) >>> 0;
    }
    return size;
  }

  /** A pure generator drops what the port transmits (use gen+sink to check it). */
  push(_src: Uint8Array, _offset: number, _len: number): void {
    this.ignored++;
  }

  tick(_nowNs: number): void {}

  /** True once `count` frames have been produced. */
  get done(): boolean {
    return this.sent >= this.options.count;
  }

  stats(): Record<string, unknown> {
    const o = this.options;
    return {
      kind: "gen",
      spec: this.spec,
      id: o.id,
      sent: this.sent,
      bytes: this.bytes,
      truncated: this.truncated,
      ignored: this.ignored,
      size: o.size,
      flows: o.flows,
      rate: Number.isFinite(o.rate) ? o.rate : "max",
      count: Number.isFinite(o.count) ? o.count : null,
      done: this.done,
      dstMac: formatMac(o.dstMac),
    };
  }

  close(): void {}

  /** Starts a burst: one clock read for the token bucket and the burst's timestamp. */
  private grant(): boolean {
    const remaining = this.options.count - this.sent;
    if (remaining <= 0) return false;
    const n = this.bucket.refill();
    this.left = Math.min(n, remaining);
    this.stamp = this.bucket.now >>> 0; // ToUint32 of the ns clock: its low 32 bits
    return this.left > 0;
  }

  private writeFrame(dst: Uint8Array, off: number): void {
    const size = this.options.size;
    const f = this.flow;
    dst.set(this.heads[f] as Uint8Array, off);
    if (size > MIN_FRAME) dst.set(this.tail, off + MIN_FRAME);
    const seq = this.seq;
    const ts = this.stamp;
    putU32(dst, off + OFF_SEQ, seq);
    putU32(dst, off + OFF_TS, ts);
    // Patch the per-flow base sums with the 8 changing bytes (weights: size - position).
    const s0 = seq >>> 24;
    const s1 = (seq >>> 16) & 0xff;
    const s2 = (seq >>> 8) & 0xff;
    const s3 = seq & 0xff;
    const t0 = ts >>> 24;
    const t1 = (ts >>> 16) & 0xff;
    const t2 = (ts >>> 8) & 0xff;
    const t3 = ts & 0xff;
    const w = size - OFF_SEQ;
    const a = (this.baseA[f] as number) + s0 + s1 + s2 + s3 + t0 + t1 + t2 + t3;
    const b =
      (this.baseB[f] as number) +
      s0 * w +
      s1 * (w - 1) +
      s2 * (w - 2) +
      s3 * (w - 3) +
      t0 * (w - 4) +
      t1 * (w - 5) +
      t2 * (w - 6) +
      t3 * (w - 7);
    putU32(dst, off + OFF_CSUM, (((b % CSUM_MOD) << 16) | (a % CSUM_MOD)) >>> 0);
  }
}
