/*
 * The receive path (fact sheet §5.1-5.5): take a frame from the wire, MAC length checks, L2
 * filter, RSS queue choice, then DMA into the host buffers of the queue's descriptors (see
 * rx-rings.ts). Normally a frame lands straight in a host buffer: the next free one of the
 * queue the previous frame went to. When RSS picks that queue, the frame is written back in
 * place with no copy; otherwise it is copied once to its queue (the landing buffer stays the
 * device's, its descriptor untouched). While that guess keeps failing (traffic whose flows
 * take turns over the queues), frames land in staging and are copied once, as they do when no
 * landing buffer is free and in every special case (held frames, faults armed, CRC errors
 * injected, FCS kept, link or receiver off): that path is the reference, the fast one only
 * skips copies.
 */
import * as R from "@dataplane/ixgbe/regs";
import { addressOf } from "@dataplane/sys";
import { buffers } from "./copy.ts";
import { KS, type PortCore } from "./core.ts";
import { appendFcs } from "./crc.ts";
import { F, L2Filter } from "./filter.ts";
import { PacketBuffer, PB_MAX_BYTES } from "./packet-buffer.ts";
import { RssUnit } from "./rss.ts";
import { HeldFrames } from "./rx-held.ts";
import { MODE_DROP, NO_DESC, RxRings } from "./rx-rings.ts";
import { RX_STAGING_BYTES, RxTally } from "./rx-tally.ts";
import { S } from "./stats.ts";

const W_RXCTRL = R.RXCTRL >>> 2;
const W_HLREG0 = R.HLREG0 >>> 2;
const W_MAXFRS = R.MAXFRS >>> 2;
const W_RXCSUM = R.RXCSUM >>> 2;
const W_MRQC = R.MRQC >>> 2;
const W_RXPBSIZE0 = R.RXPBSIZE(0) >>> 2;
const W_CTRL = R.CTRL >>> 2;
const GUESS_MAX = 8;
const GUESS_LAND = 4;

/** RX datapath of one port. */
export class RxPath {
  private readonly stage = buffers(RX_STAGING_BYTES + 64);
  /** Where frames from the wire land when they cannot go straight to a host buffer. */
  readonly staging = this.stage.u8;
  private readonly staging32 = this.stage.u32;
  private readonly stagingAddr = addressOf(this.staging);
  readonly pb = new PacketBuffer();
  private readonly held: HeldFrames;
  readonly rss: RssUnit;
  readonly filter: L2Filter;
  readonly rings: RxRings;
  private readonly tally: RxTally;
  /** Injected CRC errors still to apply to arriving frames. */
  crcErrors = 0;
  private wireEmpty = false;
  /** Queue whose next buffer the next frame lands in (where the last one went). */
  private guess = 0;
  /**
   * How well `guess` has been predicting RSS queues, 0..GUESS_MAX: up on a hit, down twice as
   * fast on a miss. Below GUESS_LAND frames land in staging: a wrong guess costs a descriptor
   * read and a buffer write in memory the host owns (cache misses), more than the copy saves.
   */
  private guessScore = GUESS_MAX;
  constructor(private readonly c: PortCore) {
    this.rss = new RssUnit(c.bar);
    this.filter = new L2Filter(c.bar);
    this.rings = new RxRings(c);
    this.tally = new RxTally(c);
    this.held = new HeldFrames(c, this.pb, this.rings);
  }

  /** Forgets per-step caches and held frames (device reset). */
  reset(): void {
    this.held.clear();
    this.rings.reset();
    this.guess = 0;
    this.guessScore = GUESS_MAX;
  }

  /** Receives up to `budget` frames from the wire. Returns frames taken (incl. drops). */
  step(budget: number): number {
    const c = this.c;
    const bar = c.bar;
    if (c.filterDirty) {
      this.filter.rebuild();
      c.filterDirty = false;
    }
    if (c.rssKeyDirty) {
      this.rss.loadKey();
      c.rssKeyDirty = false;
    }
    this.rings.begin((bar[W_RXCSUM] & R.RXCSUM_PCSD) !== 0);
    let work = this.pb.count > 0 ? this.held.drain() : 0;
    const hl = bar[W_HLREG0];
    const strip = (hl & R.HLREG0_RXCRCSTRP) !== 0;
    const maxFrame = (hl & R.HLREG0_JUMBOEN) !== 0 ? bar[W_MAXFRS] >>> 16 : 1518;
    const mrqc = bar[W_MRQC];
    const pbCap = Math.min(((bar[W_RXPBSIZE0] >>> R.RXPBSIZE_SHIFT) & 0x3ff) * 1024, PB_MAX_BYTES);
    const on = c.linkUp && (bar[W_RXCTRL] & R.RXCTRL_RXEN) !== 0;
    if ((bar[W_CTRL] & R.CTRL_PCIE_MASTER_DISABLE) !== 0) {
      this.rings.finish(); // publishes what drain() delivered; new frames wait
      return work;
    }
    this.tally.begin();
    this.wireEmpty = false;
    const fast =
      on &&
      strip &&
      this.pb.count === 0 &&
      c.faults.dmaArmed === 0 &&
      c.faults.malArmed === 0 &&
      this.crcErrors === 0;
    if (fast) work += this.fast(budget - work, maxFrame, mrqc, pbCap);
    const wire = c.wire;
    const staging = this.staging;
    const staging32 = this.staging32;
    for (let n = work; n < budget && !this.wireEmpty; n++) {
      const len = wire.pull(staging, 0, RX_STAGING_BYTES, staging32);
      if (len === 0) break;
      work++;
      if (!on) {
        c.k[c.linkUp ? KS.DROP_RX_DISABLED : KS.DROP_LINK_DOWN]++;
        continue;
      }
      this.frame(len, strip, maxFrame, mrqc, pbCap);
    }
    this.tally.flush();
    this.rings.finish();
    if (work > 0) c.statsVersion++;
    return work;
  }

  /**
   * The fast path: runs of frames landing in the buffers of queue `guess` (see the file
   * comment), one direct() call per run. Stops when the guess has been failing (RSS), the wire
   * is empty, a buffer cannot be used or a frame had to be held: the rest of the budget then
   * goes to the staging path (which also keeps arrival order behind held frames).
   */
  private fast(budget: number, maxFrame: number, mrqc: number, pbCap: number): number {
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
    const bs = rings.bsize[g];
    const ring = dma.u32[rings.ringWin[g]];
    const base = rings.ringWord[g];
    let work = 0;
    while (work < budget) {
      const head = c.rxHead[g];
      if (rings.tail[g] === head && !rings.hasFree(g)) return -work;
      const d = base + (head << 2);
      const lo = ring[d];
      const hi = ring[d + 1];
      if (lo === 0 && hi === 0) return -work;
      const win = dma.resolve(lo, hi, bs);
      if (win < 0) return -work;
      const o = dma.offset;
      const buf = dma.u8[win];
      const len = wire.pull(buf, o, bs, dma.u32[win]);
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
      const placed = this.place(
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

  /** Checks, filter, queue choice and delivery of the frame in staging[0..len). */
  private frame(len: number, strip: boolean, maxFrame: number, mrqc: number, pbCap: number): void {
    const c = this.c;
    const buf = this.staging;
    this.tally.arrived(len);
    if (this.pb.count > 0 && this.pb.bytes + len + 4 > pbCap) {
      this.held.miss();
      return;
    }
    if (this.crcErrors > 0) {
      this.crcErrors--;
      c.counters.acc[S.CRCERRS]++;
      c.k[KS.DROP_CRC]++;
      return;
    }
    if (!this.tally.lengthOk(buf, 0, len, maxFrame)) return;
    const f = this.filter.accept(buf, 0);
    if (f < 0) {
      c.k[KS.DROP_FILTERED]++;
      return;
    }
    this.tally.good(f, len);
    const rss = this.rss;
    rss.classify(buf, 0, len, mrqc);
    let q = 0;
    if ((mrqc & R.MRQC_MRQE_MASK) === R.MRQC_RSSEN) {
      q = rss.queue(rss.hash);
      this.score(q === this.guess); // would landing in the guessed queue have worked?
      this.guess = q;
    }
    if (c.rxEnabled[q] === 0) {
      c.k[KS.DROP_QUEUE_DISABLED]++;
      return;
    }
    let dlen = len;
    if (!strip) {
      appendFcs(buf, len);
      dlen = len + 4;
    }
    const status = (f & F.INEXACT) !== 0 ? R.RXDADV_STAT_PIF : 0;
    if (this.pb.count > 0) {
      this.held.hold(q, this.stagingAddr, dlen, rss.hash, rss.info, status, pbCap); // keep order
      return;
    }
    this.place(
      q,
      buf,
      this.staging32,
      this.stagingAddr,
      0,
      dlen,
      rss.hash,
      rss.info,
      status,
      pbCap,
    );
  }

  /**
   * Delivers the frame at buf[o..o+len) (native address `at`) to queue q; without a free
   * descriptor it is dropped (DROP_EN/QDE) or held. Returns false when it was held.
   */
  private place(
    q: number,
    buf: Uint8Array,
    buf32: Uint32Array,
    at: number,
    o: number,
    len: number,
    hash: number,
    info: number,
    status: number,
    pbCap: number,
  ): boolean {
    const rings = this.rings;
    if (rings.deliver(q, buf, buf32, at - o, o, len, hash, info, status) !== NO_DESC) return true;
    const c = this.c;
    if ((rings.mode[q] & MODE_DROP) !== 0) {
      c.counters.acc[S.QPRDC + rings.slot[q]]++;
      c.k[KS.DROP_NO_DESCRIPTOR]++;
      return true;
    }
    c.counters.acc[S.RNBC]++;
    this.held.hold(q, at, len, hash, info, status, pbCap);
    return false;
  }
}
