/*
 * Token bucket for frame rates, checked once per burst: the clock (Bun.nanoseconds, ~55 ns a
 * read here) is read when a burst's grant runs out, never per frame.
 */

/** Grants frames at `rate` per second in grants of at most `burst` frames. */
export class TokenBucket {
  /** Clock reading (ns, Bun.nanoseconds) of the last refill: the timestamp of the current burst. */
  now = 0;
  private tokens: number;
  private readonly perNs: number;

  /** `rate` in frames/s, or Infinity for no limit. */
  constructor(
    readonly rate: number,
    readonly burst: number,
  ) {
    this.perNs = rate / 1e9;
    this.tokens = Number.isFinite(rate) ? Math.min(burst, 1) : 0; // start small: no initial spike
    this.now = Bun.nanoseconds();
  }

  /** Reads the clock once and returns how many frames may go now (0..burst). */
  refill(): number {
    const now = Bun.nanoseconds();
    if (this.perNs === Number.POSITIVE_INFINITY) {
      this.now = now;
      return this.burst;
    }
    const tokens = Math.min(this.burst, this.tokens + (now - this.now) * this.perNs);
    this.now = now;
    const grant = Math.floor(tokens);
    this.tokens = tokens - grant;
    return grant;
  }
}
