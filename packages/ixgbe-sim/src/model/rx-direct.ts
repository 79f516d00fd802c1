/*
 * The direct RX path (see rx.ts): frames land straight in the next host buffer of the queue
 * the previous frame went to (the guess), and are written back in place when RSS agrees. A
 * score of recent guesses decides when landing is worth it; the staging path in rx.ts keeps
 * the score up to date for the frames it handles, so landing resumes once flows settle.
 */
import * as R from "@dataplane/ixgbe/regs";
import { DMA_WRITE } from "../dma/dma-space.ts";
import { KS, type PortCore } from "./core.ts";
import { F, type L2Filter } from "./filter.ts";
import type { RssUnit } from "./rss.ts";
import type { HeldFrames } from "./rx-held.ts";
import type { RxRings } from "./rx-rings.ts";
import type { RxTally } from "./rx-tally.ts";

const GUESS_MAX = 8;
const GUESS_LAND = 4;

/** Landing frames in host buffers with no copy; part of one port's RxPath. */
export class RxDirect {
  /** Queue whose next buffer the next frame lands in (where the last one went). */
  private guess = 0;
  /**
   * How well `guess` has been predicting RSS queues, 0..GUESS_MAX: up on a hit, down twice as
   * fast on a miss. Below GUESS_LAND frames land in staging: a wrong guess costs a descriptor
   * read and a buffer write in memory the host owns (cache misses), more than the copy saves.
   */
  private guessScore = GUESS_MAX;
  /** Set when a pull found the wire empty during this step; the staging loop then stops. */
  wireEmpty = false;

  constructor(
    private readonly c: PortCore,
    private readonly rings: RxRings,
    private readonly rss: RssUnit,
    private readonly filter: L2Filter,
    private readonly tally: RxTally,
    private readonly held: HeldFrames,
  ) {}

  /** Forgets the guess (device reset). */
  reset(): void {
    this.guess = 0;
    this.guessScore = GUESS_MAX;
  }

  /** A frame of the staging path went to RSS queue q: would landing have guessed it? */
  observe(q: number): void {
    this.score(q === this.guess);
    this.guess = q;
  }

  /**
   * The fast path: runs of frames landing in the buffers of queue `guess` (see rx.ts), one direct() call per run. Stops when the guess has been failing (RSS), the wire
   * is empty, a buffer cannot be used or a frame had to be held: the rest of the budget then
   * goes to the staging path (which also keeps arrival order behind held frames).
   */
  fast(budget: number, maxFrame: number, mrqc: number, pbCap: number): number {
    const rssOn = (mrqc & R.MRQC_MRQE_MASK) === R.MRQC_RSSEN;
    let work = 0;
    while (work < budget && !(rssOn && this.guessScore < GUESS_LAND)) {
      const n = this.direct(this.guess, budget - work, maxFrame, mrqc, pbCap, rssOn);
      if (n <= 0) return work - n;
      work += n;
    }
    return work;
  }

  /**
   * Frames straight into queue g's next buffers, checked and written back in place. Returns
   * the frames taken: positive when the run ended because RSS sent a frame elsewhere (it was
   * copied there; go on with the new guess) or the budget is used up, negated (or 0) when the
   * fast path must stop.
   */
  private direct(
    g: number,
    budget: number,
    maxFrame: number,
    mrqc: number,
    pbCap: number,
    rssOn: boolean,
  ): number {
    const c = this.c;
    const rings = this.rings;
    if (c.rxEnabled[g] === 0 || !rings.ready(g) || rings.bsize[g] < maxFrame) return 0;
    const dma = c.dma;
    const wire = c.wire;
    const rss = this.rss;
    const tally = this.tally;
    const ring = dma.u32[rings.ringWin[g]];
    const base = rings.ringWord[g];
    const dc = rings.desc[g] as Uint32Array;
    let work = 0;
    while (work < budget) {
      const head = c.rxHead[g];
      if (rings.tail[g] === head && !rings.hasFree(g)) return -work;
      const lo = dc[head << 1] as number; // prefetched when the tail moved
      const hi = dc[(head << 1) + 1] as number;
      if (lo === 0 && hi === 0) return -work;
      // Only the bytes a frame that is kept can occupy (maxFrame <= bs): a buffer whose data
      // starts at an offset may end past its page, and what lies beyond is not the frame's.
      // A miss here is not yet a fault: the staging path delivers the frame and resolves
      // exactly its length.
      const win = dma.resolve(lo, hi, maxFrame, DMA_WRITE);
      if (win < 0) return -work;
      const o = dma.offset;
      const buf = dma.u8[win];
      const len = wire.pull(buf, o, maxFrame, dma.u32[win]);
      if (len === 0) {
        this.wireEmpty = true;
        return -work;
      }
      work++;
      tally.arrived(len);
      if (!tally.lengthOk(buf, o, len, maxFrame)) continue;
      const f = this.filter.accept(buf, o);
      if (f < 0) {
        c.k[KS.DROP_FILTERED]++;
        continue;
      }
      tally.good(f, len);
      rss.classify(buf, o, len, mrqc);
      const q = rssOn ? rss.queue(rss.hash) : 0;
      if (c.rxEnabled[q] === 0) {
        c.k[KS.DROP_QUEUE_DISABLED]++;
        continue;
      }
      const status = (f & F.INEXACT) !== 0 ? R.RXDADV_STAT_PIF : 0;
      if (q === g) {
        if (rssOn) this.score(true);
        rings.writeBack(g, ring, base, head, 1, len, rss.hash, rss.info, status);
        continue;
      }
      // RSS chose another queue: copy the frame there; this buffer stays the device's.
      this.score(false);
      this.guess = q;
      const at = dma.address[win] + o;
      const placed = this.held.place(
        q,
        buf,
        dma.u32[win],
        at,
        o,
        len,
        rss.hash,
        rss.info,
        status,
        pbCap,
      );
      return placed ? work : -work;
    }
    return work;
  }

  /** Records whether the landing guess was right. */
  private score(hit: boolean): void {
    const v = this.guessScore + (hit ? 1 : -2);
    this.guessScore = Math.max(0, Math.min(GUESS_MAX, v));
  }
}
