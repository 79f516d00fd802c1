/*
 * sink: validates what a port transmits. Generator frames (recognised by the stamp magic and
 * version alone) are checked for corruption, accounted per generator+flow (loss, reordering,
 * duplication) and sampled for latency; everything else counts as "other". The fixed headers
 * (ethertype, IPv4, UDP) are not part of the recognition: they lie inside the stamp checksum,
 * so a generator frame whose header bytes were damaged on the way counts as corrupted instead
 * of slipping into "other". A corrupted frame's sequence is not trusted, so it also shows up
 * as a missing sequence.
 */
import {
  getU32,
  MAGIC,
  MIN_FRAME,
  OFF_CSUM,
  OFF_FLOW,
  OFF_GEN,
  OFF_MAGIC,
  OFF_SEQ,
  OFF_TS,
  OFF_VERSION,
  STAMP_VERSION,
  stampChecksum,
} from "./frame.ts";
import { LatencyHistogram, type LatencySummary } from "./latency.ts";
import { GeneratorTrack } from "./sequence.ts";
import { StampCheck } from "./stamp-check.ts";
import type { Wire } from "./wire.ts";

/** Settings of a sink (parsed from "sink:..." by parseWireSpec). */
export interface SinkOptions {
  /** Take a latency sample from every n-th generator frame (one clock read, ~55 ns); 0 = off. */
  latencyEvery: number;
}

/** Accounting of one generator as seen by a sink. */
export type SinkGeneratorStats = {
  id: number;
  /** Distinct sequences received. */
  received: number;
  /** Frames the linked generator sent, or null when not linked. */
  sent: number | null;
  /** sent - received when linked (final accounting), else sequence gaps not filled later. */
  lost: number;
  lostInSequence: number;
  reordered: number;
  duplicated: number;
  stale: number;
};

/** What SinkWire.stats() returns: totals, per-generator accounting and the verdict. */
export type SinkStats = {
  kind: "sink";
  spec: string;
  frames: number;
  bytes: number;
  generatorFrames: number;
  otherFrames: number;
  corrupted: number;
  lost: number;
  reordered: number;
  duplicated: number;
  stale: number;
  latencyNs: LatencySummary;
  latencyInvalid: number;
  generators: SinkGeneratorStats[];
  /** "pass" when generator frames arrived and none was lost, reordered, duplicated or corrupted. */
  verdict: "pass" | "fail";
  problems: string[];
};

/** Frames sent by generator `id` so far, or -1 when no generator with that id is linked. */
export type SentCount = (id: number) => number;

const NOT_LINKED: SentCount = () => -1;

/** A Wire whose push() validates generated traffic; pull() produces nothing. */
export class SinkWire implements Wire {
  frames = 0;
  bytes = 0;
  /** Intact generator frames. */
  generatorFrames = 0;
  /** Frames without the generator stamp (not validated). */
  otherFrames = 0;
  /** Generator frames whose checksum or length did not match. */
  corrupted = 0;
  /** Latency samples dropped because the timestamp was ahead of the clock (not this process). */
  latencyInvalid = 0;
  readonly latency = new LatencyHistogram();
  private readonly tracks: (GeneratorTrack | null)[] = new Array(256).fill(null);
  private readonly checks: (StampCheck | null)[] = new Array(256).fill(null);
  private countdown: number;

  constructor(
    readonly spec: string,
    readonly options: SinkOptions,
    private readonly sentBy: SentCount = NOT_LINKED,
  ) {
    this.countdown = options.latencyEvery;
  }

  pull(_dst: Uint8Array, _offset: number, _maxLen: number): number {
    return 0;
  }

  /**
   * Validates one transmitted frame. Allocation-free except the first frame of a new generator.
   * With `src32` and a 4-byte aligned offset, frames of a flow already seen intact are checked
   * word by word against it (see stamp-check.ts); otherwise the checksum is recomputed.
   */
  push(src: Uint8Array, off: number, len: number, src32?: Uint32Array): void {
    this.frames++;
    this.bytes += len;
    if (
      len < MIN_FRAME ||
      src[off + OFF_MAGIC] !== MAGIC >>> 8 ||
      src[off + OFF_MAGIC + 1] !== (MAGIC & 0xff) ||
      src[off + OFF_VERSION] !== STAMP_VERSION
    ) {
      this.otherFrames++;
      return;
    }
    const end = 14 + (((src[off + 16] as number) << 8) | (src[off + 17] as number));
    if (end > len || end < MIN_FRAME) {
      this.corrupted++;
      return;
    }
    const gen = src[off + OFF_GEN] as number;
    const flow = ((src[off + OFF_FLOW] as number) << 8) | (src[off + OFF_FLOW + 1] as number);
    const seq = getU32(src, off + OFF_SEQ);
    const ts = getU32(src, off + OFF_TS);
    const csum = getU32(src, off + OFF_CSUM);
    const check = this.checks[gen];
    const known =
      check !== null &&
      src32 !== undefined &&
      (off & 3) === 0 &&
      check.matches(src32, off >>> 2, flow, end, seq, ts, csum);
    if (!known) {
      if (stampChecksum(src, off, end) !== csum) {
        this.corrupted++;
        return;
      }
      (check ?? this.newGenerator(gen)).learn(src, off, flow, end, seq, ts, csum);
    }
    const track = this.tracks[gen] as GeneratorTrack;
    this.generatorFrames++;
    track.see(flow, seq);
    if (this.countdown !== 0 && --this.countdown === 0) {
      this.countdown = this.options.latencyEvery;
      // Both stamps are low 32 bits of the same process clock; the difference wraps correctly.
      const ns = ((Bun.nanoseconds() >>> 0) - ts) >>> 0;
      if (ns < 0x80000000) this.latency.record(ns);
      else this.latencyInvalid++;
    }
  }

  tick(_nowNs: number): void {}

  /** Totals, per-generator accounting and the verdict ("pass" only when nothing went wrong). */
  stats(): SinkStats {
    const generators: SinkGeneratorStats[] = [];
    const t = { lost: 0, reordered: 0, duplicated: 0, stale: 0 };
    this.tracks.forEach((track, id) => {
      if (track === null) return;
      const sent = this.sentBy(id);
      // Linked: final accounting (also catches loss after the last frame that arrived).
      const lost = sent >= 0 ? sent - track.unique : track.lost;
      t.lost += lost;
      t.reordered += track.reordered;
      t.duplicated += track.duplicated;
      t.stale += track.stale;
      generators.push({
        id,
        received: track.unique,
        sent: sent >= 0 ? sent : null,
        lost,
        lostInSequence: track.lost,
        reordered: track.reordered,
        duplicated: track.duplicated,
        stale: track.stale,
      });
    });
    const problems: string[] = [];
    if (this.generatorFrames === 0) problems.push("no generator frames received");
    if (t.lost !== 0) problems.push(`${t.lost} lost`);
    if (t.reordered !== 0) problems.push(`${t.reordered} reordered`);
    if (t.duplicated !== 0) problems.push(`${t.duplicated} duplicated`);
    if (t.stale !== 0) problems.push(`${t.stale} stale`);
    if (this.corrupted !== 0) problems.push(`${this.corrupted} corrupted`);
    return {
      kind: "sink",
      spec: this.spec,
      frames: this.frames,
      bytes: this.bytes,
      generatorFrames: this.generatorFrames,
      otherFrames: this.otherFrames,
      corrupted: this.corrupted,
      ...t,
      latencyNs: this.latency.summary(),
      latencyInvalid: this.latencyInvalid,
      generators,
      verdict: problems.length === 0 ? "pass" : "fail",
      problems,
    };
  }

  close(): void {}

  /** First intact frame of generator `gen`: its accounting (once per id, not per frame). */
  private newGenerator(gen: number): StampCheck {
    const check = new StampCheck();
    this.tracks[gen] = new GeneratorTrack();
    this.checks[gen] = check;
    return check;
  }
}
