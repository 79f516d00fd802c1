/*
 * The receive path (fact sheet §5.1-5.5): take a frame from the wire, MAC length checks, L2
 * filter, RSS queue choice, then DMA into the host buffers of the queue's descriptors (see
 * rx-rings.ts). Frames normally land in a staging buffer first; when no choice depends on the
 * frame's content (RSS off, one buffer always holds a legal frame, nothing held, no fault armed)
 * the wire writes straight into the next host buffer, saving one copy per frame.
 */
import * as R from "@dataplane/ixgbe/regs";
import { addressOf } from "@dataplane/sys";
import { buffers } from "./copy.ts";
import { KS, type PortCore } from "./core.ts";
import { appendFcs } from "./crc.ts";
import { F, L2Filter } from "./filter.ts";
import { PacketBuffer, PB_MAX_BYTES } from "./packet-buffer.ts";
import { RssUnit } from "./rss.ts";
import { MODE_DROP, NO_DESC, RxRings, W_RDT } from "./rx-rings.ts";
import { S, sizeBin } from "./stats.ts";

/** Largest frame the model takes from a wire (the card's 15.5 KiB limit, rounded up). */
export const RX_STAGING_BYTES = 16384;

const W_RXCTRL = R.RXCTRL >>> 2;
const W_HLREG0 = R.HLREG0 >>> 2;
const W_MAXFRS = R.MAXFRS >>> 2;
const W_RXCSUM = R.RXCSUM >>> 2;
const W_MRQC = R.MRQC >>> 2;
const W_RXPBSIZE0 = R.RXPBSIZE(0) >>> 2;
const W_CTRL = R.CTRL >>> 2;

/** RX datapath of one port. */
export class RxPath {
  private readonly stage = buffers(RX_STAGING_BYTES + 64);
  /** Where frames from the wire land when they cannot go straight to a host buffer. */
  readonly staging = this.stage.u8;
  private readonly staging32 = this.stage.u32;
  private readonly stagingAddr = addressOf(this.staging);
  readonly pb = new PacketBuffer();
  readonly rss: RssUnit;
  readonly filter: L2Filter;
  readonly rings: RxRings;
  /** Injected CRC errors still to apply to arriving frames. */
  crcErrors = 0;
  // Counters every frame touches, summed over a step and added to the registers once.
  private nFrames = 0;
  private nBytes = 0;
  private nSeen = 0; // passed the MAC checks (RXNFGPC)
  private nSeenBytes = 0;
  private nGood = 0; // passed the L2 filter (GPRC)
  private nGoodBytes = 0;
  private wireEmpty = false;

  constructor(private readonly c: PortCore) {
    this.rss = new RssUnit(c.bar);
    this.filter = new L2Filter(c.bar);
    this.rings = new RxRings(c);
  }

  /** Forgets per-step caches and held frames (device reset). */
  reset(): void {
    this.pb.clear();
    this.rings.reset();
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
    let work = this.pb.count > 0 ? this.drain() : 0;
    const hl = bar[W_HLREG0];
    const strip = (hl & R.HLREG0_RXCRCSTRP) !== 0;
    const maxFrame = (hl & R.HLREG0_JUMBOEN) !== 0 ? bar[W_MAXFRS] >>> 16 : 1518;
    const mrqc = bar[W_MRQC];
    const pbCap = Math.min(((bar[W_RXPBSIZE0] >>> R.RXPBSIZE_SHIFT) & 0x3ff) * 1024, PB_MAX_BYTES);
    const on = c.linkUp && (bar[W_RXCTRL] & R.RXCTRL_RXEN) !== 0;
    if ((bar[W_CTRL] & R.CTRL_PCIE_MASTER_DISABLE) !== 0) return work; // no DMA: frames wait
    this.nFrames = this.nBytes = this.nSeen = this.nSeenBytes = this.nGood = this.nGoodBytes = 0;
    this.wireEmpty = false;
    const direct =
      on &&
      strip &&
      this.pb.count === 0 &&
      (mrqc & R.MRQC_MRQE_MASK) !== R.MRQC_RSSEN &&
      c.rxEnabled[0] !== 0 &&
      c.faults.dmaArmed === 0 &&
      c.faults.malArmed === 0 &&
      this.crcErrors === 0;
    if (direct) work += this.direct(budget, maxFrame, mrqc);
    const wire = c.wire;
    const staging = this.staging;
    for (let n = work; n < budget && !this.wireEmpty; n++) {
      const len = wire.pull(staging, 0, RX_STAGING_BYTES);
      if (len === 0) break;
      work++;
      if (!on) {
        c.k[c.linkUp ? KS.DROP_RX_DISABLED : KS.DROP_LINK_DOWN]++;
        continue;
      }
      this.frame(len, strip, maxFrame, mrqc, pbCap);
    }
    if (this.nFrames > 0) this.flushCounters();
    this.rings.finish();
    if (work > 0) c.statsVersion++;
    return work;
  }

  /**
   * The copy-free path for queue 0: the wire writes into the next free host buffer, then the
   * frame is checked and written back in place. Stops (leaving the rest of the budget to the
   * staging path) when a descriptor is missing or odd, so every special case stays there.
   */
  private direct(budget: number, maxFrame: number, mrqc: number): number {
    const c = this.c;
    const rings = this.rings;
    if (!rings.ready(0) || rings.bsize[0] < maxFrame) return 0;
    const dma = c.dma;
    const wire = c.wire;
    const bs = rings.bsize[0];
    const n = rings.ringSize[0];
    const ring = dma.u32[rings.ringWin[0]];
    const base = rings.ringWord[0];
    let work = 0;
    while (work < budget) {
      const head = c.rxHead[0];
      let tail = rings.tail[0];
      if (head === tail) {
        tail = Atomics.load(c.bar, W_RDT[0]) & 0xffff;
        rings.tail[0] = tail >= n ? head : tail;
        if (rings.tail[0] === head) break;
      }
      const d = base + (head << 2);
      const lo = ring[d];
      const hi = ring[d + 1];
      if (lo === 0 && hi === 0) break;
      const win = dma.resolve(lo, hi, bs);
      if (win < 0) break;
      const o = dma.offset;
      const buf = dma.u8[win];
      const len = wire.pull(buf, o, bs);
      if (len === 0) {
        this.wireEmpty = true;
        break;
      }
      work++;
      this.nFrames++;
      this.nBytes += len;
      if (!this.lengthOk(buf, o, len, maxFrame)) continue;
      this.nSeen++;
      this.nSeenBytes += len;
      const f = this.filter.accept(buf, o);
      if (f < 0) {
        c.k[KS.DROP_FILTERED]++;
        continue;
      }
      this.good(f, len);
      this.rss.classify(buf, o, len, mrqc);
      const status = (f & F.INEXACT) !== 0 ? R.RXDADV_STAT_PIF : 0;
      rings.writeBack(0, ring, base, head, 1, len, 0, this.rss.info, status);
    }
    return work;
  }

  /** MAC length checks (FCS included, as the card measures); counts and drops bad lengths. */
  private lengthOk(buf: Uint8Array, o: number, len: number, maxFrame: number): boolean {
    const wlen = len + 4; // wires carry no FCS
    const tagged = buf[o + 12] === 0x81 && buf[o + 13] === 0;
    if (wlen >= 64 && wlen <= maxFrame + (tagged ? 4 : 0) && len <= RX_STAGING_BYTES) return true;
    const acc = this.c.counters.acc;
    acc[wlen < 64 ? S.RUC : S.ROC]++;
    acc[S.RLEC]++;
    this.c.k[wlen < 64 ? KS.DROP_UNDERSIZE : KS.DROP_OVERSIZE]++;
    return false;
  }

  /** Counts a frame that passed the L2 filter (F bits `f`). */
  private good(f: number, len: number): void {
    const acc = this.c.counters.acc;
    this.nGood++;
    this.nGoodBytes += len;
    if ((f & F.BROADCAST) !== 0) acc[S.BPRC]++;
    else if ((f & F.MULTICAST) !== 0) acc[S.MPRC]++;
    acc[S.PRC64 + sizeBin(len + 4)]++;
  }

  private flushCounters(): void {
    const c = this.c;
    const acc = c.counters.acc;
    c.k[KS.RX_FRAMES] += this.nFrames;
    c.k[KS.RX_BYTES] += this.nBytes;
    acc[S.TPR] += this.nFrames;
    acc[S.TOR] += this.nBytes + 4 * this.nFrames; // octets include the FCS
    acc[S.RXNFGPC] += this.nSeen;
    acc[S.RXNFGBC] += this.nSeenBytes + 4 * this.nSeen;
    acc[S.GPRC] += this.nGood;
    acc[S.GORC] += this.nGoodBytes + 4 * this.nGood;
  }

  /** Checks, filter, queue choice and delivery of the frame in staging[0..len). */
  private frame(len: number, strip: boolean, maxFrame: number, mrqc: number, pbCap: number): void {
    const c = this.c;
    const buf = this.staging;
    this.nFrames++;
    this.nBytes += len;
    if (this.pb.count > 0 && this.pb.bytes + len + 4 > pbCap) {
      this.miss();
      return;
    }
    if (this.crcErrors > 0) {
      this.crcErrors--;
      c.counters.acc[S.CRCERRS]++;
      c.k[KS.DROP_CRC]++;
      return;
    }
    if (!this.lengthOk(buf, 0, len, maxFrame)) return;
    this.nSeen++;
    this.nSeenBytes += len;
    const f = this.filter.accept(buf, 0);
    if (f < 0) {
      c.k[KS.DROP_FILTERED]++;
      return;
    }
    this.good(f, len);
    const rss = this.rss;
    rss.classify(buf, 0, len, mrqc);
    const q = (mrqc & R.MRQC_MRQE_MASK) === R.MRQC_RSSEN ? rss.queue(rss.hash) : 0;
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
      this.hold(q, dlen, rss.hash, rss.info, status, pbCap); // keep arrival order
      return;
    }
    const r = this.rings.deliver(
      q,
      buf,
      this.staging32,
      this.stagingAddr,
      0,
      dlen,
      rss.hash,
      rss.info,
      status,
    );
    if (r !== NO_DESC) return;
    if ((this.rings.mode[q] & MODE_DROP) !== 0) {
      c.counters.acc[S.QPRDC + this.rings.slot[q]]++;
      c.k[KS.DROP_NO_DESCRIPTOR]++;
    } else {
      c.counters.acc[S.RNBC]++;
      this.hold(q, dlen, rss.hash, rss.info, status, pbCap);
    }
  }

  private hold(q: number, len: number, hash: number, info: number, status: number, cap: number) {
    if (this.pb.push(this.stagingAddr, len, q, hash, info, status, cap)) this.c.k[KS.RX_HELD]++;
    else this.miss();
  }

  /** Packet buffer full: the frame is missed (MPC(0), EICR.RX_MISS). */
  private miss(): void {
    const c = this.c;
    c.counters.acc[S.MPC]++;
    c.k[KS.DROP_PACKET_BUFFER_FULL]++;
    c.intr.otherEvent(R.EICR_RX_MISS, c.now);
  }

  /** Moves held frames to their queues, oldest first, until one still finds no descriptor. */
  private drain(): number {
    const c = this.c;
    const pb = this.pb;
    const rings = this.rings;
    let work = 0;
    while (pb.count > 0) {
      const w = pb.head >>> 2;
      const hdr = pb.u32[w];
      const q = pb.u32[w + 1];
      if (c.rxEnabled[q] === 0) {
        c.k[KS.DROP_QUEUE_DISABLED]++;
      } else {
        const len = hdr & 0xffffff;
        const off = pb.head + 16;
        const r = rings.deliver(
          q,
          pb.u8,
          pb.u32,
          pb.address,
          off,
          len,
          pb.u32[w + 2],
          pb.u32[w + 3],
          hdr >>> 24,
        );
        if (r === NO_DESC) {
          if ((rings.mode[q] & MODE_DROP) === 0) break; // still blocked
          c.counters.acc[S.QPRDC + rings.slot[q]]++;
          c.k[KS.DROP_NO_DESCRIPTOR]++;
        }
      }
      pb.pop();
      work++;
    }
    return work;
  }
}
