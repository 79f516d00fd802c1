/*
 * RX descriptor rings of one port: per-step view of each queue's ring (read from BAR0 once per
 * step), descriptor prefetch, DMA of a frame into the buffers its descriptors name, the
 * write-back (data first, DD last with an atomic store), and the per-step publication of RDH,
 * per-queue counters and the queue interrupt.
 *
 * Prefetch (datasheet §7.1.3.1, "descriptors are fetched once software moves the tail"): when the
 * model sees RDT move (at the start of every step for each enabled queue, and whenever it
 * re-reads RDT for lack of descriptors) it copies the buffer addresses of the descriptors just
 * handed over into a per-queue cache, and frames go to the cached addresses. A descriptor the
 * driver rewrites after its tail bump is therefore not seen, as on the card. Copying 8 bytes per
 * descriptor happens once per tail move; the hot path reads the cache instead of the ring.
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
const NO_DESCRIPTORS = new Uint32Array(0);
/** Write-backs queued before they are done at once (more than a step's frames need). */
const WB_MAX = 1024;
const WB_STRIDE = 6;

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
  /** Prefetched buffer addresses per queue: lo, hi per descriptor (ring size * 2 words). */
  readonly desc: Uint32Array[] = Array.from({ length: QUEUES }, () => NO_DESCRIPTORS);
  /** Per queue: the tail up to which descriptors are in `desc`. */
  readonly fetched = new Int32Array(QUEUES);
  /** Write-backs queued this step: word index, advanced?, DW0, DW1, length, status. */
  private readonly wb = new Int32Array(WB_MAX * WB_STRIDE);
  /** The ring of each queued write-back. */
  private readonly wbRing: Uint32Array[] = new Array(WB_MAX).fill(NO_DESCRIPTORS);
  private wbN = 0;

  constructor(private readonly c: PortCore) {}

  /** Starts a step: nothing touched yet. */
  begin(pcsd: boolean): void {
    this.touchedN = 0;
    this.pcsd = pcsd;
  }

  /** Forgets cached ring views (device reset). */
  reset(): void {
    this.wbN = 0; // a reset between DMA and write-back: the descriptors are never written
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
    this.fetch(q, Atomics.load(c.bar, W_RDT[q]) & 0xffff);
    return this.tail[q] !== head;
  }

  /**
   * Queue q (open for this step) has tail `t` in RDT: prefetches the descriptors between the
   * last tail seen and `t`. A tail past the ring end hands nothing over.
   */
  fetch(q: number, t: number): void {
    const n = this.ringSize[q];
    if (t >= n) {
      this.tail[q] = this.c.rxHead[q];
      return;
    }
    let i = this.fetched[q];
    if (i !== t) {
      const ring = this.c.dma.u32[this.ringWin[q]] as Uint32Array;
      const base = this.ringWord[q];
      const dc = this.desc[q] as Uint32Array;
      while (i !== t) {
        const d = base + (i << 2);
        dc[i << 1] = ring[d] as number;
        dc[(i << 1) + 1] = ring[d + 1] as number;
        i = i + 1 === n ? 0 : i + 1;
      }
      this.fetched[q] = t;
    }
    this.tail[q] = t;
  }

  /** Start of a step: prefetches for every enabled queue whose tail moved since the last one. */
  pollTails(): void {
    const c = this.c;
    const bar = c.bar;
    for (let k = 0; k < c.rxActiveCount; k++) {
      const q = c.rxActive[k] as number;
      if (this.stamp[q] === c.stepId) continue;
      const t = Atomics.load(bar, W_RDT[q]) & 0xffff;
      if (t !== this.fetched[q] || c.rxRefetch[q] !== 0) this.open(q);
    }
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
    if ((this.desc[q] as Uint32Array).length !== 2 * n) {
      this.desc[q] = new Uint32Array(2 * n); // a new ring size: setup, not the hot path
      c.rxRefetch[q] = 1;
    }
    if (c.rxRefetch[q] !== 0) {
      c.rxRefetch[q] = 0;
      this.fetched[q] = c.rxHead[q]; // nothing fetched yet: from the head
    } else if (this.fetched[q] >= n) {
      this.fetched[q] = c.rxHead[q];
    }
    this.fetch(q, Atomics.load(bar, W_RDT[q]) & 0xffff);
    this.stamp[q] = c.stepId;
    this.got[q] = 0;
    this.gotBytes[q] = 0;
    this.touched[this.touchedN++] = q;
    return true;
  }

  /**
   * DMA a frame (src8/src32 views of a mapping at srcAddr, bytes srcOff.., len bytes) into
   * queue q: all buffers first, then the write-backs. A buffer address that does not resolve is
   * a posted write the card never hears about (the IOMMU drops it): the data is lost, the fault
   * counted, and the descriptors are still written back so the queue runs on. A null buffer
   * address (malformed descriptor) drops the frame and leaves the descriptors to the hardware.
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
    if (this.stamp[q] !== c.stepId && !this.open(q)) {
      // The ring itself failed (DMA fault, bad RDLEN): the queue is stopped now, and this frame
      // meets it stopped, as every later one will (queueDisabled).
      c.k[KS.DROP_QUEUE_DISABLED]++;
      return DROPPED;
    }
    const n = this.ringSize[q];
    const bs = this.bsize[q];
    const head = c.rxHead[q];
    let avail = this.tail[q] - head;
    if (avail < 0) avail += n;
    const need = len <= bs ? 1 : Math.ceil(len / bs);
    if (avail < need) {
      this.fetch(q, Atomics.load(c.bar, W_RDT[q]) & 0xffff); // the host may have added some
      avail = this.tail[q] - head;
      if (avail < 0) avail += n;
      if (avail < need) return NO_DESC;
    }
    const dma = c.dma;
    const ring = dma.u32[this.ringWin[q]];
    const base = this.ringWord[q];
    const dc = this.desc[q] as Uint32Array;
    let i = head;
    let rem = len;
    let off = srcOff;
    let lost = false;
    for (let k = 0; k < need; k++) {
      let lo = dc[i << 1] as number; // as prefetched when the tail moved
      let hi = dc[(i << 1) + 1] as number;
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
        c.dmaFault("rx-buffer", "rx", q, lo, hi, "data-lost", inj);
        if (!lost) {
          lost = true;
          c.k[KS.RX_BUFFER_FAULTS]++;
        }
        rem -= chunk;
        off += chunk;
        i = i + 1 === n ? 0 : i + 1;
        continue;
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

  /**
   * Writes back the descriptors of a frame that is in host memory: queued here and done at
   * the end of the step (finish()), a burst of whole descriptors instead of one at a time.
   * The card, too, packs RX write-backs and writes them out in cache-line chunks rather than
   * one 16-byte descriptor per frame (receive descriptor write-back in the 82599 datasheet; the
   * 82598's §3.5.2.7 describes the same packing); every frame's data still lands before its DD.
   * On a client polling DD from another core this moves each descriptor cache line once per
   * step rather than once per frame.
   */
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
      if (this.wbN === WB_MAX) this.flushWriteBacks();
      const chunk = Math.min(rem, bs);
      rem -= chunk;
      const st = R.RXDADV_STAT_DD | status | (k === need - 1 ? R.RXDADV_STAT_EOP : 0);
      const e = this.wbN * WB_STRIDE;
      const wb = this.wb;
      this.wbRing[this.wbN++] = ring;
      wb[e] = base + (i << 2);
      wb[e + 1] = adv ? 1 : 0;
      wb[e + 2] = info;
      wb[e + 3] = h;
      wb[e + 4] = chunk;
      wb[e + 5] = st;
      i = i + 1 === n ? 0 : i + 1;
    }
    c.rxHead[q] = i;
    this.got[q]++;
    this.gotBytes[q] += len;
  }

  /** Does the queued write-backs in order: the other words first, DD last (atomic store). */
  private flushWriteBacks(): void {
    const wb = this.wb;
    const rings = this.wbRing;
    for (let j = 0; j < this.wbN; j++) {
      const e = j * WB_STRIDE;
      const ring = rings[j] as Uint32Array;
      const d = wb[e] as number;
      if (wb[e + 1] !== 0) {
        ring[d] = wb[e + 2] as number;
        ring[d + 1] = wb[e + 3] as number;
        ring[d + 3] = wb[e + 4] as number;
        Atomics.store(ring, d + 2, wb[e + 5] as number); // DD last: the host may poll it now
      } else {
        ring[d + 2] = wb[e + 4] as number; // legacy: length, checksum 0; the address stays
        Atomics.store(ring, d + 3, wb[e + 5] as number);
      }
      rings[j] = NO_DESCRIPTORS;
    }
    this.wbN = 0;
  }

  /**
   * Publishes RDH of every queue touched this step, adds its per-queue counters (slot from
   * RQSMR) and raises its interrupt cause.
   */
  finish(): void {
    if (this.wbN > 0) this.flushWriteBacks();
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
