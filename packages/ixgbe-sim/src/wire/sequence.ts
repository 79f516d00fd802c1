/*
 * Per (generator, flow) sequence accounting for the sink. Each flow keeps the next expected
 * sequence and a 64-bit window of which of the last 64 sequences arrived, which is what tells
 * a late frame (reordered: it was counted lost when skipped, now it is not) from a repeat
 * (duplicated). Arrivals older than the window are "stale": neither loss nor duplicate can be
 * decided, so they are counted apart. Sequences are u32 and compared modulo 2^32.
 */

/** Flow ids are u16 in the stamp. */
export const FLOWS_PER_GENERATOR = 65536;

/** Counters of one generator as seen by one sink. */
export class GeneratorTrack {
  /** Distinct sequences received (what final accounting compares with the sent count). */
  unique = 0;
  /** Sequences skipped and not (yet) seen late. */
  lost = 0;
  reordered = 0;
  duplicated = 0;
  stale = 0;
  private readonly next = new Uint32Array(FLOWS_PER_GENERATOR);
  private readonly started = new Uint8Array(FLOWS_PER_GENERATOR);
  private readonly winLo = new Uint32Array(FLOWS_PER_GENERATOR);
  private readonly winHi = new Uint32Array(FLOWS_PER_GENERATOR);

  /** Accounts one intact frame of `flow` with sequence `seq`. */
  see(flow: number, seq: number): void {
    if (this.started[flow] === 0) {
      // Every flow starts at 0, so a first sequence s means 0..s-1 went missing (so far).
      this.started[flow] = 1;
      this.lost += seq;
      this.advance(flow, seq, 64);
      return;
    }
    const expected = this.next[flow] as number;
    const ahead = (seq - expected) >>> 0;
    if (ahead < 0x80000000) {
      this.lost += ahead;
      this.advance(flow, seq, ahead + 1);
      return;
    }
    const back = (expected - 1 - seq) >>> 0; // 0 = the newest sequence accepted
    if (back >= 64) {
      this.stale++;
      return;
    }
    const lo = this.winLo[flow] as number;
    const hi = this.winHi[flow] as number;
    const bit = back < 32 ? (lo >>> back) & 1 : (hi >>> (back - 32)) & 1;
    if (bit === 1) {
      this.duplicated++;
      return;
    }
    if (back < 32) this.winLo[flow] = lo | (1 << back);
    else this.winHi[flow] = hi | (1 << (back - 32));
    this.reordered++;
    this.lost--;
    this.unique++;
  }

  /** Accepts `seq` as the newest: shifts the window by `shift` and marks bit 0. */
  private advance(flow: number, seq: number, shift: number): void {
    let lo = this.winLo[flow] as number;
    let hi = this.winHi[flow] as number;
    if (shift >= 64) {
      lo = 0;
      hi = 0;
    } else if (shift >= 32) {
      hi = lo << (shift - 32);
      lo = 0;
    } else {
      hi = (hi << shift) | (lo >>> (32 - shift));
      lo = lo << shift;
    }
    this.winLo[flow] = lo | 1;
    this.winHi[flow] = hi;
    this.next[flow] = (seq + 1) >>> 0;
    this.unique++;
  }
}
