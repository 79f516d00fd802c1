/*
 * RX descriptor rings of one port: per-step view of each queue's ring (read from BAR0 once per
 * step), DMA of a frame into the buffers its descriptors name, the write-back (data first, DD
 * last with an atomic store), and the per-step publication of RDH, per-queue counters and the
 * queue interrupt.
 */
import * as R from "@dataplane/ixgbe/regs";
import { DMA_READ_WRITE, DMA_WRITE } from "../dma/dma-space.ts";
import { copyFrame } from "./copy.ts";
import { KS, type PortCore } from "./core.ts";
import { M, T } from "./faults.ts";
import { QUEUES } from "./register-map.ts";
import { S } from "./stats.ts";

/** deliver() results. */
export const OK = 0;
/** Not enough free descriptors between RDH and RDT. */
export const NO_DESC = 1;
/** Dropped (DMA fault, malformed descriptor, queue stopped); already counted. */
export const DROPPED = 2;
/** mode[] bit: advanced descriptors (SRRCTL.DESCTYPE != 0). */
export const MODE_ADV = 1;
/** mode[] bit: drop when no descriptor (SRRCTL.DROP_EN or PFQDE.QDE). */
export const MODE_DROP = 2;

const words = (f: (q: number) => number): Int32Array =>
  Int32Array.from({ length: QUEUES }, (_, q) => f(q) >>> 2);
const W_RDBAL = words(R.RDBAL);
const W_RDBAH = words(R.RDBAH);
const W_RDLEN = words(R.RDLEN);
const W_RDH = words(R.RDH);
/** RDT word index per queue. */
export const W_RDT = words(R.RDT);
const W_SRRCTL = words(R.SRRCTL);
const W_RQSMR0 = R.RQSMR(0) >>> 2;

/** The RX rings of one port, as seen during one step. */
export class RxRings {
  /** stepId when the queue's fields below were last read; other values mean stale. */
  readonly stamp = new Int32Array(QUEUES).fill(-1);
  readonly ringWin = new Int32Array(QUEUES);
  readonly ringWord = new Int32Array(QUEUES);
  readonly ringSize = new Int32Array(QUEUES);
  readonly tail = new Int32Array(QUEUES);
  /** Buffer size in bytes (SRRCTL.BSIZEPACKET). */
  readonly bsize = new Int32Array(QUEUES);
  /** MODE_* bits. */
  readonly mode = new Int32Array(QUEUES);
  /** Statistics slot (RQSMR). */
  readonly slot = new Int32Array(QUEUES);
  private readonly got = new Int32Array(QUEUES);
  private readonly gotBytes = new Float64Array(QUEUES);
  private readonly touched = new Int32Array(QUEUES);
  private touchedN = 0;
  /** RXCSUM.PCSD for this step: DW1 carries the RSS hash. */
  pcsd = false;

  constructor(private readonly c: PortCore) {}

  /** Starts a step: nothing touched yet. */
  begin(pcsd: boolean): void {
    this.touchedN = 0;
    this.pcsd = pcsd;
  }

  /** Forgets cached ring views (device reset). */
  reset(): void {
    this.stamp.fill(-1);
    this.touchedN = 0;
  }

  /** True when queue q is open for this step (or could be opened). */
  ready(q: number): boolean {
    return this.stamp[q] === this.c.stepId || this.open(q);
  }

  /**
   * True when queue q (open for this step) has a descriptor free at its head; re-reads RDT
   * when the cached tail says none.
   */
  hasFree(q: number): boolean {
    const c = this.c;
    const head = c.rxHead[q];
    if (this.tail[q] !== head) return true;
    const t = Atomics.load(c.bar, W_RDT[q]) & 0xffff;
    this.tail[q] = t >= this.ringSize[q] ? head : t;
    return this.tail[q] !== head;
  }

  /** Reads queue q's ring registers for this step. False when the queue had to stop. */
  open(q: number): boolean {
    const c = this.c;
    const bar = c.bar;
    const lo = (bar[W_RDBAL[q]] & ~0x7f) >>> 0; // unsigned: bit 31 may be set
    const hi = bar[W_RDBAH[q]];
    const bytes = bar[W_RDLEN[q]] & 0x000fff80;
    if (bytes === 0) {
      c.malformed("bad-ring", "rx", q, lo, hi, true, false);
      c.stopRxQueue(q);
      return false;
    }
    const inj = c.faults.dmaArmed > 0 && c.faults.takeDma(T.RX_RING);
    let win = inj ? -1 : c.dma.resolve(lo, hi, bytes, DMA_READ_WRITE);
    // Memory the host mapped since the model last looked is not a fault (sysfs mode finds it).
    if (win < 0 && !inj && c.dma.refresh?.() === true)
      win = c.dma.resolve(lo, hi, bytes, DMA_READ_WRITE);
    if (win < 0) {
      c.dmaFault("rx-ring", "rx", q, lo, hi, true, inj);
      c.stopRxQueue(q);
      return false;
    }
    const n = bytes >>> 4;
    this.ringWin[q] = win;
    this.ringWord[q] = c.dma.offset >>> 2;
    this.ringSize[q] = n;
    const srr = bar[W_SRRCTL[q]];
    const b = srr & R.SRRCTL_BSIZEPACKET_MASK;
    this.bsize[q] = (b === 0 ? 2 : b) << 10;
    this.mode[q] =
      ((srr & R.SRRCTL_DESCTYPE_MASK) !== 0 ? MODE_ADV : 0) |
      ((srr & R.SRRCTL_DROP_EN) !== 0 || c.qde[q] !== 0 ? MODE_DROP : 0);
    this.slot[q] = (bar[W_RQSMR0 + (q >>> 2)] >>> ((q & 3) << 3)) & 0xf;
    if (c.rxHead[q] >= n) c.rxHead[q] = 0;
    const t = Atomics.load(bar, W_RDT[q]) & 0xffff;
    this.tail[q] = t >= n ? c.rxHead[q] : t;
    this.stamp[q] = c.stepId;
    this.got[q] = 0;
    this.gotBytes[q] = 0;
    this.touched[this.touchedN++] = q;
    return true;
  }

  /**
   * DMA a frame (src8/src32 views of a mapping at srcAddr, bytes srcOff.., len bytes) into
   * queue q: all buffers first, then the write-backs. A fault drops the frame and leaves the
   * descriptors to the hardware.
   */
  deliver(
    q: number,
    src8: Uint8Array,
    src32: Uint32Array,
    srcAddr: number,
    srcOff: number,
    len: number,
    hash: number,
    info: number,
    status: number,
  ): number {
    const c = this.c;
    if (this.stamp[q] !== c.stepId && !this.open(q)) return DROPPED;
    const n = this.ringSize[q];
    const bs = this.bsize[q];
    const head = c.rxHead[q];
    let avail = this.tail[q] - head;
    if (avail < 0) avail += n;
    const need = len <= bs ? 1 : Math.ceil(len / bs);
    if (avail < need) {
      const t = Atomics.load(c.bar, W_RDT[q]) & 0xffff; // the host may have added some
      this.tail[q] = t >= n ? head : t;
      avail = this.tail[q] - head;
      if (avail < 0) avail += n;
      if (avail < need) return NO_DESC;
    }
    const dma = c.dma;
    const ring = dma.u32[this.ringWin[q]];
    const base = this.ringWord[q];
    let i = head;
    let rem = len;
    let off = srcOff;
    for (let k = 0; k < need; k++) {
      const d = base + (i << 2);
      let lo = ring[d];
      let hi = ring[d + 1];
      const chunk = Math.min(rem, bs);
      const mal = c.faults.malArmed > 0 && c.faults.takeMalformed(0, q) === M.NULL_ADDRESS;
      if (mal) lo = hi = 0;
      if (lo === 0 && hi === 0) {
        c.malformed("null-address", "rx", q, 0, 0, false, mal);
        c.k[KS.DROP_RX_MALFORMED]++;
        return DROPPED;
      }
      const inj = c.faults.dmaArmed > 0 && c.faults.takeDma(T.RX_BUFFER);
      const win = inj ? -1 : dma.resolve(lo, hi, chunk, DMA_WRITE);
      if (win < 0) {
        c.dmaFault("rx-buffer", "rx", q, lo, hi, false, inj);
        c.k[KS.DROP_RX_DMA_FAULT]++;
        return DROPPED;
      }
      copyFrame(
        dma.u8[win],
        dma.u32[win],
        dma.address[win],
        dma.offset,
        src8,
        src32,
        srcAddr,
        off,
        chunk,
      );
      rem -= chunk;
      off += chunk;
      i = i + 1 === n ? 0 : i + 1;
    }
    this.writeBack(q, ring, base, head, need, len, hash, info, status);
    return OK;
  }

  writeBack(
    q: number,
    ring: Uint32Array,
    base: number,
    head: number,
    need: number,
    len: number,
    hash: number,
    info: number,
    status: number,
  ): void {
    const c = this.c;
    const n = this.ringSize[q];
    const bs = this.bsize[q];
    const adv = (this.mode[q] & MODE_ADV) !== 0;
    const h = this.pcsd ? hash : 0;
    let i = head;
    let rem = len;
    for (let k = 0; k < need; k++) {
      const d = base + (i << 2);
      const chunk = Math.min(rem, bs);
      rem -= chunk;
      const st = R.RXDADV_STAT_DD | status | (k === need - 1 ? R.RXDADV_STAT_EOP : 0);
      if (adv) {
        ring[d] = info;
        ring[d + 1] = h;
        ring[d + 3] = chunk;
        Atomics.store(ring, d + 2, st); // DD last: the host may poll it right now
      } else {
        ring[d + 2] = chunk; // legacy: length, checksum 0; the buffer address stays
        Atomics.store(ring, d + 3, st);
      }
      i = i + 1 === n ? 0 : i + 1;
    }
    c.rxHead[q] = i;
    this.got[q]++;
    this.gotBytes[q] += len;
  }

  /**
   * Publishes RDH of every queue touched this step, adds its per-queue counters (slot from
   * RQSMR) and raises its interrupt cause.
   */
  finish(): void {
    const c = this.c;
    const acc = c.counters.acc;
    for (let i = 0; i < this.touchedN; i++) {
      const q = this.touched[i];
      c.set(W_RDH[q], c.rxHead[q]);
      const got = this.got[q];
      if (got === 0) continue;
      const bytes = this.gotBytes[q];
      const s = this.slot[q];
      acc[S.QPRC + s] += got;
      acc[S.QBRC + s] += bytes;
      acc[S.RXDGPC] += got;
      acc[S.RXDGBC] += bytes;
      c.k[KS.RX_DELIVERED] += got;
      c.intr.queueEvent(q, 0, c.now);
    }
  }
}
