/*
 * gen: a traffic generator. Per-flow frame heads (the first 60 bytes, which hold every
 * per-flow field) and one shared pattern tail are built once; per frame pull() copies them
 * into the host buffer and stores sequence, timestamp and checksum (format in frame.ts).
 * Flows take turns round robin, so flow f's n-th frame carries sequence n.
 * The checksum is never recomputed over the frame: each flow's base sums are known, and the
 * sequence's share changes once per round of flows, the timestamp's once per burst (one clock
 * read), so a frame costs two additions per half. With a 32-bit view of the destination (the
 * port passes one) the frame is written a word at a time.
 */
import {
  bswap32,
  buildTemplate,
  byteSum,
  CSUM_MOD,
  formatMac,
  MIN_FRAME,
  OFF_CSUM,
  OFF_SEQ,
  OFF_TS,
  putU32,
  stampChecksum,
  weightedSum,
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

/** Words of a frame head (60 bytes); the last three are sequence, timestamp and checksum. */
const HEAD_WORDS = MIN_FRAME >>> 2;
const W_SEQ = OFF_SEQ >>> 2;
const W_TS = OFF_TS >>> 2;
const W_CSUM = OFF_CSUM >>> 2;

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
  private readonly size: number;
  private readonly flows: number;
  private flow = 0;
  private seq = 0;
  private left = 0;
  private stamp = 0;
  /**
   * Per flow: the 15 head words, sequence, timestamp and checksum words zero. Int32Array: a
   * Uint32Array load of a value >= 2^31 is a double in JSC and makes the copy loop deoptimize.
   */
  private readonly heads32: Int32Array;
  private readonly heads8: Uint8Array;
  /** Bytes 60.. of every frame (the pattern), and as many whole words of it. */
  private readonly tail8: Uint8Array;
  private readonly tail32: Int32Array;
  /** Per flow: checksum halves of the frame with sequence and timestamp 0. */
  private readonly baseA: Int32Array;
  private readonly baseB: Int32Array;
  // The sequence's and the timestamp's shares of both halves (mod CSUM_MOD) and their words.
  private seqA = 0;
  private seqB = 0;
  private seqWord = 0;
  private tsA = 0;
  private tsB = 0;
  private tsWord = 0;
  private readonly bucket: TokenBucket;
  private readonly scratch: Uint8Array;

  constructor(
    readonly spec: string,
    readonly options: GeneratorOptions,
  ) {
    const { size, flows, id } = options;
    this.size = size;
    this.flows = flows;
    const srcMac = Uint8Array.of(0x02, 0xda, 0x7a, 0, 0, id);
    this.heads32 = new Int32Array(flows * HEAD_WORDS);
    this.heads8 = new Uint8Array(this.heads32.buffer);
    this.baseA = new Int32Array(flows);
    this.baseB = new Int32Array(flows);
    let full: Uint8Array = new Uint8Array(0);
    for (let f = 0; f < flows; f++) {
      full = buildTemplate({ size, dstMac: options.dstMac, srcMac, genId: id, flow: f });
      this.heads8.set(full.subarray(0, MIN_FRAME), f * MIN_FRAME);
      const sum = stampChecksum(full, 0, size);
      this.baseA[f] = sum & 0xffff;
      this.baseB[f] = sum >>> 16;
    }
    this.tail8 = full.slice(MIN_FRAME); // the pattern does not depend on the flow
    this.tail32 = new Int32Array(this.tail8.buffer, 0, this.tail8.length >>> 2);
    this.scratch = new Uint8Array(size);
    this.bucket = new TokenBucket(options.rate, options.burst);
    this.setSeq(0);
  }

  /**
   * Writes the next frame into dst[offset ..]; 0 when the rate or count allows none now.
   * With `dst32` and a 4-byte aligned offset the frame is written a word at a time.
   */
  pull(dst: Uint8Array, offset: number, maxLen: number, dst32?: Uint32Array): number {
    if (this.left === 0 && !this.grant()) return 0;
    const size = this.size;
    if (maxLen < size) {
      this.writeBytes(this.scratch, 0);
      const s = this.scratch;
      for (let i = 0; i < maxLen; i++) dst[offset + i] = s[i] as number;
      this.truncated++;
    } else if (dst32 !== undefined && (offset & 3) === 0) {
      this.writeWords(dst, dst32, offset);
    } else {
      this.writeBytes(dst, offset);
    }
    this.left--;
    this.sent++;
    this.bytes += size;
    if (++this.flow === this.flows) {
      this.flow = 0;
      this.setSeq((this.seq + 1) >>> 0);
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
    const ts = this.bucket.now >>> 0; // ToUint32 of the ns clock: its low 32 bits
    this.stamp = ts;
    this.tsA = byteSum(ts);
    this.tsB = weightedSum(ts, this.size - OFF_TS);
    this.tsWord = bswap32(ts);
    return this.left > 0;
  }

  /** New sequence for the next round of flows: its checksum shares and word. */
  private setSeq(seq: number): void {
    this.seq = seq;
    this.seqA = byteSum(seq);
    this.seqB = weightedSum(seq, this.size - OFF_SEQ);
    this.seqWord = bswap32(seq);
  }

  /** The current frame's checksum value. */
  private checksum(): number {
    const f = this.flow;
    let a = (this.baseA[f] as number) + this.seqA + this.tsA; // < 2 * CSUM_MOD
    if (a >= CSUM_MOD) a -= CSUM_MOD;
    let b = (this.baseB[f] as number) + this.seqB + this.tsB; // < 3 * CSUM_MOD
    if (b >= CSUM_MOD) b -= CSUM_MOD;
    if (b >= CSUM_MOD) b -= CSUM_MOD;
    return ((b << 16) | a) >>> 0;
  }

  /** The current frame, a word at a time (offset 4-byte aligned). */
  private writeWords(dst: Uint8Array, dst32: Uint32Array, offset: number): void {
    const d = offset >>> 2;
    const heads = this.heads32;
    const h = this.flow * HEAD_WORDS;
    for (let i = 0; i < W_SEQ; i++) dst32[d + i] = heads[h + i] as number;
    dst32[d + W_SEQ] = this.seqWord;
    dst32[d + W_TS] = this.tsWord;
    dst32[d + W_CSUM] = bswap32(this.checksum());
    const size = this.size;
    if (size === MIN_FRAME) return;
    const tail = this.tail32;
    const t = d + HEAD_WORDS;
    for (let i = 0; i < tail.length; i++) dst32[t + i] = tail[i] as number;
    const tail8 = this.tail8;
    for (let i = tail.length << 2; i < tail8.length; i++) {
      dst[offset + MIN_FRAME + i] = tail8[i] as number;
    }
  }

  /** The current frame, a byte at a time (any offset). */
  private writeBytes(dst: Uint8Array, off: number): void {
    const heads = this.heads8;
    const h = this.flow * MIN_FRAME;
    for (let i = 0; i < OFF_SEQ; i++) dst[off + i] = heads[h + i] as number;
    putU32(dst, off + OFF_SEQ, this.seq);
    putU32(dst, off + OFF_TS, this.stamp);
    putU32(dst, off + OFF_CSUM, this.checksum());
    const tail = this.tail8;
    for (let i = 0; i < tail.length; i++) dst[off + MIN_FRAME + i] = tail[i] as number;
  }
}
