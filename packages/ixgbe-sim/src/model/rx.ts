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
 * skips copies. This file: the step and the staging path; rx-direct.ts: landing in host
 * buffers; rx-held.ts: delivery to a queue and the packet buffer behind it.
 */
import * as R from "@dataplane/ixgbe/regs";
import { addressOf } from "@dataplane/sys";
import { buffers } from "./copy.ts";
import { KS, type PortCore } from "./core.ts";
import { appendFcs } from "./crc.ts";
import { F, L2Filter } from "./filter.ts";
import { PacketBuffer, PB_MAX_BYTES } from "./packet-buffer.ts";
import { RssUnit } from "./rss.ts";
import { RxDirect } from "./rx-direct.ts";
import { HeldFrames } from "./rx-held.ts";
import { RxRings } from "./rx-rings.ts";
import { RX_STAGING_BYTES, RxTally } from "./rx-tally.ts";
import { S } from "./stats.ts";

const W_RXCTRL = R.RXCTRL >>> 2;
const W_HLREG0 = R.HLREG0 >>> 2;
const W_MAXFRS = R.MAXFRS >>> 2;
const W_RXCSUM = R.RXCSUM >>> 2;
const W_MRQC = R.MRQC >>> 2;
const W_RXPBSIZE0 = R.RXPBSIZE(0) >>> 2;
const W_CTRL = R.CTRL >>> 2;
const W_SECRXCTRL = R.SECRXCTRL >>> 2;

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
  private readonly direct: RxDirect;
  constructor(private readonly c: PortCore) {
    this.rss = new RssUnit(c.bar);
    this.filter = new L2Filter(c.bar);
    this.rings = new RxRings(c);
    this.tally = new RxTally(c);
    this.held = new HeldFrames(c, this.pb, this.rings);
    this.direct = new RxDirect(c, this.rings, this.rss, this.filter, this.tally, this.held);
  }

  /**
   * Forgets per-step caches and held frames (device reset). A device reset returns the receive
   * data path to its initial state, packet buffer included (82599 datasheet §4.2, CTRL.RST):
   * frames still waiting there are lost. They are counted (dropped.reset), so every frame
   * taken from the wire has a recorded fate.
   */
  reset(): void {
    this.c.k[KS.DROP_RESET] += this.pb.count;
    this.held.clear();
    this.rings.reset();
    this.direct.reset();
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
    // SECRXCTRL.RX_DIS halts the receive data path (datasheet §8.2.3.12.1).
    const on =
      c.linkUp &&
      (bar[W_RXCTRL] & R.RXCTRL_RXEN) !== 0 &&
      (bar[W_SECRXCTRL] & R.SECRXCTRL_RX_DIS) === 0;
    if ((bar[W_CTRL] & R.CTRL_PCIE_MASTER_DISABLE) !== 0) {
      this.rings.finish(); // publishes what drain() delivered; new frames wait
      return work;
    }
    if (c.rxActiveCount > 0) this.rings.pollTails(); // descriptor prefetch (rx-rings.ts)
    this.tally.begin(strip, (hl & R.HLREG0_RXLNGTHERREN) !== 0);
    const direct = this.direct;
    direct.wireEmpty = false;
    const fast =
      on &&
      strip &&
      this.pb.count === 0 &&
      c.faults.dmaArmed === 0 &&
      c.faults.malArmed === 0 &&
      this.crcErrors === 0;
    if (fast) work += direct.fast(budget - work, maxFrame, mrqc, pbCap);
    const wire = c.wire;
    const staging = this.staging;
    const staging32 = this.staging32;
    for (let n = work; n < budget && !direct.wireEmpty; n++) {
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

  /** Checks, filter, queue choice and delivery of the frame in staging[0..len). */
  private frame(len: number, strip: boolean, maxFrame: number, mrqc: number, pbCap: number): void {
    const c = this.c;
    const buf = this.staging;
    this.tally.arrived(len);
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
    if (this.pb.count > 0 && this.pb.bytes + len + 4 > pbCap) {
      this.held.miss(); // after the filter: GPRC counts missed frames, as on the 82599
      return;
    }
    const rss = this.rss;
    rss.classify(buf, 0, len, mrqc);
    let q = 0;
    if ((mrqc & R.MRQC_MRQE_MASK) === R.MRQC_RSSEN) {
      q = rss.queue(rss.hash);
      this.direct.observe(q); // would landing in the guessed queue have worked?
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
    this.held.place(
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
}
