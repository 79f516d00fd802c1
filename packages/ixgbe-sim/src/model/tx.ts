/*
 * The transmit path (fact sheet §4.4-4.8, §5.6): for each enabled queue, fetch descriptors
 * from TDH up to TDT, gather each frame's buffers until EOP, pad short frames (TXPADEN),
 * hand the frame to the wire without FCS, count it, advance TDH and report completion: DD in
 * every RS descriptor (TXDCTL.WTHRESH = 0); with WTHRESH > 0 the write-back is batched
 * (datasheet §7.2.3.5.1): nothing is written until WTHRESH processed descriptors are pending,
 * then DD goes into all of them, RS or not, as the datasheet and DPDK note (TXDCTL.SWFLSH writes
 * a partial batch back). With head write-back on, the head value goes to TDWBAL/H instead.
 * A frame is sent only once all of its descriptors (up to EOP) are in [TDH, TDT).
 */
import * as R from "@dataplane/ixgbe/regs";
import { addressOf } from "@dataplane/sys";
import { DMA_READ, DMA_READ_WRITE, DMA_WRITE } from "../dma/dma-space.ts";
import { buffers, copyFrame } from "./copy.ts";
import { KS, type PortCore } from "./core.ts";
import { M, type MalformedKind, T } from "./faults.ts";
import { QUEUES } from "./register-map.ts";
import { S, sizeBin } from "./stats.ts";
import { insertChecksums, newTxContext, segmentTcp, TxContexts } from "./tx-offload.ts";

/** Largest frame the model gathers (the card's 15.5 KiB limit, rounded up). */
export const TX_STAGING_BYTES = 16384;
/** Most descriptors one frame may use (the 82599's limit, also DPDK's IXGBE_TX_MAX_SEG). */
export const TX_MAX_SEGMENTS = 40;

const words = (f: (q: number) => number): Int32Array =>
  Int32Array.from({ length: QUEUES }, (_, q) => f(q) >>> 2);
const W_TDBAL = words(R.TDBAL);
const W_TDBAH = words(R.TDBAH);
const W_TDLEN = words(R.TDLEN);
const W_TDH = words(R.TDH);
const W_TDT = words(R.TDT);
const W_TDWBAL = words(R.TDWBAL);
const W_TDWBAH = words(R.TDWBAH);
const W_DMATXCTL = R.DMATXCTL >>> 2;
const W_HLREG0 = R.HLREG0 >>> 2;
const W_MAXFRS = R.MAXFRS >>> 2;
const W_TQSM0 = R.TQSM(0) >>> 2;
const W_CTRL = R.CTRL >>> 2;
const W_TXDCTL = words(R.TXDCTL);
const W_GPIE = R.GPIE >>> 2;
const W_IVAR0 = R.IVAR(0) >>> 2;
/** EITR word index of vector v (the register file splits at 24). */
const eitrWord = (v: number): number => R.EITR(v) >>> 2;

const DTYP_SHIFT = 20;
/** Offloads of an advanced data descriptor (tx-offload.ts): DCMD bits, POPTS bits. */
const OFFLOAD_CMD = R.ADVTXD_DCMD_TSE | R.ADVTXD_DCMD_VLE;
const OFFLOAD_POPTS = R.ADVTXD_POPTS_IXSM | R.ADVTXD_POPTS_TXSM;
/** Largest TSO frame gathered: PAYLEN is 18 bits, plus headers. */
export const TSO_STAGING_BYTES = 262144 + 512;

/** TX datapath of one port. */
export class TxPath {
  private readonly stage = buffers(TSO_STAGING_BYTES + 64);
  /** Where a frame is gathered before it goes to the wire. */
  readonly staging = this.stage.u8;
  private readonly staging32 = this.stage.u32;
  private readonly stagingAddr = addressOf(this.staging);
  private rr = 0;
  // per-frame results of gather(), kept in fields to avoid allocation
  private frameLen = 0;
  /** Where the gathered frame is: staging, or (one buffer, no padding) the host buffer itself. */
  private src: Uint8Array = this.staging;
  private src32: Uint32Array = this.staging32;
  private srcOff = 0;
  private frameCmd = 0;
  /** Word 3 (olinfo_status) of the frame's first data descriptor. */
  private frameOlinfo = 0;
  /** The frame asks for an offload (checksums, TSO, VLAN insertion): built in staging. */
  private offload = false;
  /** Contexts written by context descriptors, and the one the current frame uses. */
  private readonly contexts = new TxContexts();
  private readonly ctx = newTxContext();
  /** Where TSO segments are built (largest MSS plus headers and a VLAN tag). */
  private readonly seg = buffers(TX_STAGING_BYTES + 64);
  private segQ = 0;
  private segHl = 0;
  private segMaxFrame = 0;
  private readonly emitSegment = (len: number): void => {
    if (this.bad === "")
      this.emit(this.segQ, this.seg.u8, this.seg.u32, len, this.segHl, this.segMaxFrame, len);
  };
  private bad: MalformedKind | "" = "";
  private badInjected = false;
  private dmaBad = false;
  /** Per queue: processed descriptors whose write-back waits for WTHRESH (batched mode). */
  private readonly wbPending = new Int32Array(QUEUES);
  /** Per queue: the first of them. */
  private readonly wbStart = new Int32Array(QUEUES);

  constructor(private readonly c: PortCore) {}

  /** Device reset. */
  reset(): void {
    this.rr = 0;
    this.contexts.clear();
    this.wbPending.fill(0);
  }

  /** Queue q was enabled or disabled: no write-back is pending. */
  resetQueue(q: number): void {
    this.contexts.clear(q);
    this.wbPending[q] = 0;
  }

  /**
   * Interrupt vector v is about to fire: the TX queues routed to it (every queue in MSI/INTx
   * mode) write back the descriptors they hold for a WTHRESH batch, so the handler finds DD set.
   * Only when v's EITR interval is non-zero: the batch goes out at the throttle timer's expiry
   * (datasheet §7.2.3.5.1; Linux's ixgbe keeps WTHRESH at 1 when ITR is 0 "as it could cause
   * false TX hangs"), and with ITR 0 there is no timer.
   */
  flushForVector(v: number): void {
    const c = this.c;
    const bar = c.bar;
    if ((bar[eitrWord(v)] & R.EITR_ITR_INTERVAL_MASK) === 0) return;
    const msix = (bar[W_GPIE] & R.GPIE_MSIX_MODE) !== 0;
    for (let k = 0; k < c.txActiveCount; k++) {
      const q = c.txActive[k] as number;
      if (this.wbPending[q] === 0) continue;
      if (msix) {
        const entry = (bar[W_IVAR0 + (q >>> 1)] >>> (16 * (q & 1) + 8)) & 0xff;
        if ((entry & R.IVAR_ALLOC_VAL) === 0 || (entry & R.IVAR_VECTOR_MASK) !== v) continue;
      }
      this.flush(q);
    }
  }

  /** TXDCTL.SWFLSH: writes back the descriptors queue q holds for its WTHRESH batch. */
  flush(q: number): void {
    const c = this.c;
    const bar = c.bar;
    if (this.wbPending[q] === 0) return;
    const lo = (bar[W_TDBAL[q]] & ~0x7f) >>> 0;
    const bytes = bar[W_TDLEN[q]] & 0x000fff80;
    const win = c.dma.resolve(lo, bar[W_TDBAH[q]], bytes, DMA_READ_WRITE);
    if (win < 0 || bytes === 0) {
      this.wbPending[q] = 0;
      return;
    }
    this.writeBackAll(q, c.dma.u32[win], c.dma.offset >>> 2, bytes >>> 4);
  }

  /** Sends up to `budget` frames, round robin over enabled queues. Returns descriptors used. */
  step(budget: number): number {
    const c = this.c;
    const bar = c.bar;
    if ((bar[W_DMATXCTL] & R.DMATXCTL_TE) === 0 || !c.linkUp) return 0;
    if ((bar[W_CTRL] & R.CTRL_PCIE_MASTER_DISABLE) !== 0) return 0;
    const count = c.txActiveCount;
    let work = 0;
    for (let k = 0; k < count && work < budget; k++) {
      const idx = (this.rr + k) % count;
      work += this.queue(c.txActive[idx], budget - work);
      if (c.txActiveCount !== count) break; // a queue stopped; the list changed
    }
    this.rr = count > 0 ? (this.rr + 1) % count : 0;
    if (work > 0) c.statsVersion++;
    return work;
  }

  /** Processes queue q: complete frames between TDH and TDT, at most `budget` of them. */
  private queue(q: number, budget: number): number {
    const c = this.c;
    const bar = c.bar;
    const lo = (bar[W_TDBAL[q]] & ~0x7f) >>> 0; // unsigned: bit 31 may be set
    const hi = bar[W_TDBAH[q]];
    const bytes = bar[W_TDLEN[q]] & 0x000fff80;
    const n = bytes >>> 4;
    let head = c.txHead[q];
    const tail = Atomics.load(bar, W_TDT[q]) & 0xffff;
    if (tail === head) return 0;
    if (n === 0 || tail >= n || head >= n) {
      c.malformed("bad-ring", "tx", q, lo, hi, true, false);
      c.stopTxQueue(q);
      return 0;
    }
    const inj = c.faults.dmaArmed > 0 && c.faults.takeDma(T.TX_RING);
    let win = inj ? -1 : c.dma.resolve(lo, hi, bytes, DMA_READ_WRITE);
    // Memory the host mapped since the model last looked is not a fault (sysfs mode finds it).
    if (win < 0 && !inj && c.dma.refresh?.() === true)
      win = c.dma.resolve(lo, hi, bytes, DMA_READ_WRITE);
    if (win < 0) {
      c.dmaFault("tx-ring", "tx", q, lo, hi, true, inj);
      c.stopTxQueue(q);
      return 0;
    }
    const ring = c.dma.u32[win];
    const base = c.dma.offset >>> 2;
    const hl = bar[W_HLREG0];
    const maxFrame = (hl & R.HLREG0_JUMBOEN) !== 0 ? bar[W_MAXFRS] >>> 16 : 1522;
    const headWb = (bar[W_TDWBAL[q]] & R.TDWBAL_HEAD_WB_EN) !== 0;
    const wthresh = (bar[W_TXDCTL[q]] >>> R.TXDCTL_WTHRESH_SHIFT) & 0x7f;
    let used = 0;
    while (head !== tail && used < budget) {
      // Find the EOP descriptor; wait when the frame is not all there yet.
      let i = head;
      let segs = 0;
      let eop = -1;
      while (i !== tail) {
        segs++;
        if ((ring[base + (i << 2) + 2] & R.ADVTXD_DCMD_EOP) !== 0 || segs > TX_MAX_SEGMENTS) {
          eop = i;
          break;
        }
        i = i + 1 === n ? 0 : i + 1;
      }
      if (eop < 0) break;
      this.gather(q, ring, base, head, segs, n);
      if (segs > TX_MAX_SEGMENTS) this.bad = "too-many-segments";
      if (this.bad === "" && !this.dmaBad) this.send(q, hl, maxFrame);
      if (this.bad !== "") {
        c.malformed(this.bad, "tx", q, 0, 0, false, this.badInjected);
        c.k[KS.DROP_TX_MALFORMED]++;
      }
      if (headWb) {
        // the head write-back below reports completion
      } else if (wthresh === 0) {
        this.complete(ring, base, head, segs, n);
      } else {
        if (this.wbPending[q] === 0) this.wbStart[q] = head;
        this.wbPending[q] += segs;
        if (this.wbPending[q] >= wthresh) this.writeBackAll(q, ring, base, n);
      }
      head = eop + 1 === n ? 0 : eop + 1;
      used += segs;
    }
    c.txHead[q] = head;
    c.set(W_TDH[q], head);
    if (used > 0) {
      if (headWb) this.writeHead(q, head);
      c.intr.queueEvent(q, 1, c.now);
    }
    return used;
  }

  /** Copies the buffers of `segs` descriptors from `head` into staging; sets frame fields. */
  private gather(
    q: number,
    ring: Uint32Array,
    base: number,
    head: number,
    segs: number,
    n: number,
  ) {
    const c = this.c;
    const dma = c.dma;
    this.bad = "";
    this.badInjected = false;
    this.dmaBad = false;
    this.frameCmd = 0;
    this.offload = false;
    this.src = this.staging;
    this.src32 = this.staging32;
    this.srcOff = 0;
    let len = 0;
    let i = head;
    for (let k = 0; k < segs; k++) {
      const d = base + (i << 2);
      i = i + 1 === n ? 0 : i + 1;
      const ctl = ring[d + 2];
      const dext = (ctl & R.ADVTXD_DCMD_DEXT) !== 0;
      const dtyp = (ctl >>> DTYP_SHIFT) & 0xf;
      if (dext && dtyp === 2) {
        // context descriptor: carries no data, sets the context later data descriptors name
        this.contexts.store(q, ring[d] as number, ctl, ring[d + 3] as number);
        continue;
      }
      if (this.frameCmd === 0) {
        this.frameCmd = ctl;
        this.frameOlinfo = dext ? (ring[d + 3] as number) : 0;
        this.offload =
          dext && ((ctl & OFFLOAD_CMD) !== 0 || (this.frameOlinfo & OFFLOAD_POPTS) !== 0);
      }
      if (this.bad !== "" || this.dmaBad) continue;
      if (dext && dtyp !== 3) {
        this.bad = "bad-type";
        continue;
      }
      // Legacy descriptors' checksum insertion and VLAN insertion are not modelled.
      if (!dext && (ctl & (R.LEGACY_TXD_CMD_IC | R.ADVTXD_DCMD_VLE)) !== 0) {
        this.bad = "unsupported-offload";
        continue;
      }
      let lo = ring[d];
      let hi = ring[d + 1];
      let dlen = ctl & R.ADVTXD_DTALEN_MASK;
      const mal = c.faults.malArmed > 0 ? c.faults.takeMalformed(1, q) : M.NONE;
      if (mal !== M.NONE) {
        this.badInjected = true;
        if (mal === M.ZERO_LENGTH) dlen = 0;
        else if (mal === M.NULL_ADDRESS) lo = hi = 0;
        else dlen = TX_STAGING_BYTES + 1;
      }
      if (dlen === 0) this.bad = "zero-length";
      else if (lo === 0 && hi === 0) this.bad = "null-address";
      else if (len + dlen > (this.tso() ? TSO_STAGING_BYTES : TX_STAGING_BYTES))
        this.bad = "oversize";
      if (this.bad !== "") continue;
      const inj = c.faults.dmaArmed > 0 && c.faults.takeDma(T.TX_BUFFER);
      const win = inj ? -1 : dma.resolve(lo, hi, dlen, DMA_READ);
      if (win < 0) {
        c.dmaFault("tx-buffer", "tx", q, lo, hi, false, inj);
        c.k[KS.DROP_TX_DMA_FAULT]++;
        this.dmaBad = true;
        continue;
      }
      if (segs === 1 && dlen >= 60 && !this.offload) {
        this.src = dma.u8[win]; // one buffer, nothing to pad: send it from host memory
        this.src32 = dma.u32[win];
        this.srcOff = dma.offset;
        len = dlen;
        continue;
      }
      copyFrame(
        this.staging,
        this.staging32,
        this.stagingAddr,
        len,
        dma.u8[win],
        dma.u32[win],
        dma.address[win],
        dma.offset,
        dlen,
      );
      len += dlen;
    }
    this.frameLen = len;
  }

  /** Hands the gathered frame to the wire: as gathered, or through its offloads. */
  private send(q: number, hl: number, maxFrame: number): void {
    const len = this.frameLen;
    if (len === 0) return; // only context descriptors
    if (this.offload) this.sendOffloaded(q, hl, maxFrame);
    else this.emit(q, this.src, this.src32, len, hl, maxFrame, len, this.srcOff);
  }

  private tso(): boolean {
    return (this.frameCmd & R.ADVTXD_DCMD_TSE) !== 0;
  }

  /**
   * Checksum insertion, TSO and VLAN insertion (tx-offload.ts) on the frame in staging. A frame
   * whose context is missing or does not fit it is dropped as malformed ("bad-context"), as is
   * one without IFCS (the card inserts the FCS of what it changed).
   */
  private sendOffloaded(q: number, hl: number, maxFrame: number): void {
    const ctx = this.ctx;
    const ol = this.frameOlinfo;
    if ((this.frameCmd & R.ADVTXD_DCMD_IFCS) === 0 || !this.contexts.read(q, ol, ctx)) {
      this.bad = "bad-context";
      return;
    }
    const ixsm = (ol & R.ADVTXD_POPTS_IXSM) !== 0;
    if (this.tso()) {
      this.segQ = q;
      this.segHl = hl;
      this.segMaxFrame = maxFrame;
      const paylen = ol >>> R.ADVTXD_PAYLEN_SHIFT;
      const n = segmentTcp(
        this.staging,
        this.frameLen,
        paylen,
        ctx,
        ixsm,
        this.seg.u8,
        this.emitSegment,
      );
      if (n < 0) this.bad = "bad-context";
      return;
    }
    const txsm = (ol & R.ADVTXD_POPTS_TXSM) !== 0;
    if (!insertChecksums(this.staging, this.frameLen, ctx, ixsm, txsm)) {
      this.bad = "bad-context";
      return;
    }
    this.emit(q, this.staging, this.staging32, this.frameLen, hl, maxFrame, this.frameLen);
  }

  /**
   * Pads, counts and hands one frame, buf[o, o + len), to the wire; `fetched` bytes of it came
   * from host memory. VLE (offloaded frames only, always staged at 0) inserts the context's VLAN
   * tag after the MAC addresses, with the TPID of DMATXCTL.VT.
   */
  private emit(
    q: number,
    buf: Uint8Array,
    buf32: Uint32Array,
    frameLen: number,
    hl: number,
    maxFrame: number,
    fetched: number,
    o = 0,
  ): void {
    const c = this.c;
    let len = frameLen;
    if (this.offload && (this.frameCmd & R.ADVTXD_DCMD_VLE) !== 0) {
      buf.copyWithin(16, 12, len);
      const tpid = c.bar[W_DMATXCTL] >>> 16;
      buf[12] = tpid >>> 8;
      buf[13] = tpid & 0xff;
      buf[14] = this.ctx.vlan >>> 8;
      buf[15] = this.ctx.vlan & 0xff;
      len += 4;
    }
    const ifcs = (this.frameCmd & R.ADVTXD_DCMD_IFCS) !== 0;
    let onWire: number; // bytes incl. FCS, as the card counts them
    if (ifcs) {
      if ((hl & R.HLREG0_TXPADEN) !== 0 && len < 60) {
        for (let i = len; i < 60; i++) buf[i] = 0; // only staged frames are this short
        len = 60;
      }
      onWire = len + 4;
    } else {
      onWire = len; // the buffer already ends with its FCS
      len = len >= 4 ? len - 4 : 0; // wires carry frames without FCS
    }
    if (onWire > maxFrame) {
      this.bad = "oversize";
      return;
    }
    c.wire.push(buf, o, len, buf32);
    const acc = c.counters.acc;
    acc[S.GPTC]++;
    acc[S.TPT]++;
    acc[S.GOTC] += onWire;
    acc[S.PTC64 + sizeBin(onWire)]++;
    if ((buf[o] & 1) !== 0) {
      const all = buf[o] & buf[o + 1] & buf[o + 2] & buf[o + 3] & buf[o + 4] & buf[o + 5];
      if (all === 0xff) acc[S.BPTC]++;
      else acc[S.MPTC]++;
    }
    const slot = (c.bar[W_TQSM0 + (q >>> 2)] >>> ((q & 3) << 3)) & 0xf;
    acc[S.QPTC + slot]++;
    acc[S.QBTC + slot] += fetched;
    acc[S.TXDGPC]++;
    acc[S.TXDGBC] += fetched;
    c.k[KS.TX_FRAMES]++;
    c.k[KS.TX_BYTES] += len;
  }

  /** Sets DD in every RS descriptor of the frame (the rest of the descriptor is kept). */
  private complete(ring: Uint32Array, base: number, head: number, segs: number, n: number) {
    let i = head;
    for (let k = 0; k < segs; k++) {
      const d = base + (i << 2);
      if ((ring[d + 2] & R.ADVTXD_DCMD_RS) !== 0) {
        Atomics.store(ring, d + 3, ring[d + 3] | R.ADVTXD_STAT_DD);
      }
      i = i + 1 === n ? 0 : i + 1;
    }
  }

  /** Batched write-back: DD into every pending descriptor of queue q, RS or not. */
  private writeBackAll(q: number, ring: Uint32Array, base: number, n: number): void {
    let i = this.wbStart[q];
    for (let k = this.wbPending[q]; k > 0; k--) {
      const d = base + (i << 2);
      Atomics.store(ring, d + 3, ring[d + 3] | R.ADVTXD_STAT_DD);
      i = i + 1 === n ? 0 : i + 1;
    }
    this.wbPending[q] = 0;
  }

  /** Head write-back: the 32-bit head index goes to TDWBAH:TDWBAL (bits 1:0 masked). */
  private writeHead(q: number, head: number): void {
    const c = this.c;
    const lo = c.bar[W_TDWBAL[q]] & ~3;
    const hi = c.bar[W_TDWBAH[q]];
    const inj = c.faults.dmaArmed > 0 && c.faults.takeDma(T.TX_HEAD_WB);
    const win = inj ? -1 : c.dma.resolve(lo, hi, 4, DMA_WRITE);
    if (win < 0) {
      c.dmaFault("tx-head-writeback", "tx", q, lo, hi, false, inj);
      return;
    }
    Atomics.store(c.dma.u32[win], c.dma.offset >>> 2, head);
  }
}
