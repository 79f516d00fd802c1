/*
 * The sink's fast check of a generator frame's stamp checksum. Of the checksummed bytes only
 * sequence and timestamp change from frame to frame; all others are fixed per (generator,
 * flow) and frame size. So after one frame of a flow has passed the full check, its fixed
 * bytes and their checksum halves are kept; a later frame whose fixed bytes are word-for-word
 * the same then has the checksum base + share(sequence) + share(timestamp), which is what
 * stampChecksum() would compute over it: the same verdict for ~20 operations instead of a pass
 * over every byte. Anything else (first frame of a flow, another size, a changed byte) takes
 * the full check, so corruption is caught exactly as before.
 */
import {
  byteSum,
  CSUM_MOD,
  CSUM_START,
  MAX_FRAME,
  MIN_FRAME,
  OFF_SEQ,
  OFF_TS,
  weightedSum,
} from "./frame.ts";
import { FLOWS_PER_GENERATOR } from "./sequence.ts";

/** Fixed words of the head: bytes 12..47 (ethertype up to the flow id). */
const FIXED_FIRST = CSUM_START >>> 2;
const FIXED_WORDS = (OFF_SEQ - CSUM_START) >>> 2;
/** Per flow: the fixed words, half A and half B of their checksum, 1 once learned. */
const STRIDE = FIXED_WORDS + 3;
const W_TAIL = MIN_FRAME >>> 2;

/** Learned frames of one generator. */
export class StampCheck {
  private readonly flows = new Int32Array(FLOWS_PER_GENERATOR * STRIDE);
  /** Bytes 60..tailEnd of the last learned frame (the pattern is the same for every flow). */
  private readonly tail8 = new Uint8Array(MAX_FRAME);
  private readonly tail32 = new Int32Array(this.tail8.buffer);
  private tailEnd = -1;

  /**
   * True when the frame at word `w` of `src32` (bytes up to `end` checksummed) has the fixed
   * bytes learned for `flow` and the checksum `csum` they imply with `seq` and `ts`. False means
   * "not known to be intact": the caller runs the full check.
   */
  matches(
    src32: Uint32Array,
    w: number,
    flow: number,
    end: number,
    seq: number,
    ts: number,
    csum: number,
  ): boolean {
    const t = this.flows;
    const e = flow * STRIDE;
    if (t[e + FIXED_WORDS + 2] === 0 || end !== this.tailEnd) return false;
    for (let i = 0; i < FIXED_WORDS; i++) {
      if ((src32[w + FIXED_FIRST + i] | 0) !== t[e + i]) return false;
    }
    if (end > MIN_FRAME && !this.tailMatches(src32, w, end)) return false;
    let a = (t[e + FIXED_WORDS] as number) + byteSum(seq) + byteSum(ts); // < 2 * CSUM_MOD
    if (a >= CSUM_MOD) a -= CSUM_MOD;
    let b =
      (t[e + FIXED_WORDS + 1] as number) +
      weightedSum(seq, end - OFF_SEQ) +
      weightedSum(ts, end - OFF_TS); // < 3 * CSUM_MOD
    if (b >= CSUM_MOD) b -= CSUM_MOD;
    if (b >= CSUM_MOD) b -= CSUM_MOD;
    return ((b << 16) | a) >>> 0 === csum;
  }

  /**
   * Keeps the fixed bytes of a frame that passed the full check (its checksum `csum`, bytes
   * src[off..off + end)). Allocation-free.
   */
  learn(
    src: Uint8Array,
    off: number,
    flow: number,
    end: number,
    seq: number,
    ts: number,
    csum: number,
  ): void {
    const t = this.flows;
    const e = flow * STRIDE;
    for (let i = 0; i < FIXED_WORDS; i++) {
      const o = off + ((FIXED_FIRST + i) << 2);
      t[e + i] = src[o] | (src[o + 1] << 8) | (src[o + 2] << 16) | (src[o + 3] << 24);
    }
    const a = (csum & 0xffff) - byteSum(seq) - byteSum(ts);
    const b = (csum >>> 16) - weightedSum(seq, end - OFF_SEQ) - weightedSum(ts, end - OFF_TS);
    t[e + FIXED_WORDS] = mod(a);
    t[e + FIXED_WORDS + 1] = mod(b);
    t[e + FIXED_WORDS + 2] = 1;
    if (end !== this.tailEnd) {
      for (let i = MIN_FRAME; i < end; i++) this.tail8[i - MIN_FRAME] = src[off + i] as number;
      this.tailEnd = end;
    }
  }

  private tailMatches(src32: Uint32Array, w: number, end: number): boolean {
    const bytes = end - MIN_FRAME;
    const words = bytes >>> 2;
    const tail = this.tail32;
    for (let i = 0; i < words; i++) if ((src32[w + W_TAIL + i] | 0) !== tail[i]) return false;
    for (let i = words << 2; i < bytes; i++) {
      const v = src32[w + W_TAIL + (i >>> 2)] as number;
      if (((v >>> ((i & 3) << 3)) & 0xff) !== this.tail8[i]) return false;
    }
    return true;
  }
}

/** x mod CSUM_MOD in 0..CSUM_MOD-1 for any integer x. */
function mod(x: number): number {
  const r = x % CSUM_MOD;
  return r < 0 ? r + CSUM_MOD : r;
}
