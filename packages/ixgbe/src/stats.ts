/*
 * Statistics. On the card every counter is clear-on-read, so each read is a delta that gets
 * added to doubles (exact up to 2^53). Octet counters are 36 bits: L holds bits 31:0, H bits
 * 35:32. Per-queue hardware counters follow RQSMR/TQSM, which the driver maps queue q ->
 * statistics slot q.
 *
 * A read through shared memory cannot have a side effect. A vfio-user device whose BAR0 has
 * mmappable (sparse) areas serves the words there as plain memory, so counters that sit in
 * them (QPRC, QBRC, QPRDC in the RX queue pages) run free and are published as running
 * totals. The back-end says which offsets read like that (Backend.plainRead); for those the
 * accumulator keeps the last value and adds the difference, modulo the register's width
 * (2^32, or 2^36 for an L/H pair). Kernel VFIO and sysfs on real hardware map BAR0 too, but
 * there the silicon clears on read, so those back-ends report no plain words.
 *
 * Deltas rather than trapped reads: a trapped read is a 30-60 us message round trip, and the
 * per-queue counters alone are 5 registers per queue pair, so reading them the trapped way
 * would stall a polling thread for a millisecond and more per statistics line, while the
 * mapped words cost nanoseconds. The clear-on-read counters that stay trapped (about 18 per
 * port) are read together (Mmio.readMany): one wait for the device model per update, not one
 * per register, which matters most when the model shares a busy machine.
 */
import { type Mmio, readRegisters } from "@dataplane/pci";
import * as S from "./regs/stats.ts";

const TWO_32 = 2 ** 32;
const TWO_36 = 2 ** 36;
/** Extra reads of a free-running L/H pair that looks like it went backwards (a torn read). */
const TORN_RETRIES = 3;

/** The value of a 36-bit octet counter from its L word and its H word (bits 3:0 count). */
function octets36(lo: number, hi: number): number {
  return ((hi & S.OCTET_HIGH_MASK) >>> 0) * TWO_32 + (lo >>> 0);
}

/**
 * Reads a free-running 36-bit L/H pair that the device updates while we read: H, L, H again,
 * and L once more when H moved meanwhile (the low word wrapped into it).
 */
export function readShared36(mmio: Mmio, low: number, high: number): number {
  const h1 = mmio.read32(high) & S.OCTET_HIGH_MASK;
  let lo = mmio.read32(low) >>> 0;
  const h2 = mmio.read32(high) & S.OCTET_HIGH_MASK;
  if (h2 !== h1) lo = mmio.read32(low) >>> 0;
  return octets36(lo, h2);
}

/**
 * Which BAR0 offsets read as plain memory (no clear-on-read): the counters there run free.
 * Absent or always false on real hardware.
 */
export type PlainRead = (offset: number) => boolean;

/** Per-queue counters: hardware (slot of the queue) plus driver software counters. */
export interface QueueStats {
  /** Frames received into (QPRC) or sent from (QPTC) the queue. */
  readonly packets: number;
  /** Their octets (QBRC/QBTC, 36 bits): the bytes in host memory, without CRC or padding. */
  readonly bytes: number;
  /** RX only: frames dropped for lack of descriptors (QPRDC). */
  readonly dropped: number;
  /** Frames the driver handed out (RX) or queued (TX). */
  readonly swPackets: number;
  /** Bytes the driver handed out (RX) or queued (TX). */
  readonly swBytes: number;
}

/**
 * Device statistics since open (sums of every hardware read). Widths: packet counters are 32
 * bits, octet counters 36 (an L/H register pair); all clear on read on the card, and the
 * driver reads them often enough that none wraps between two reads (see the README).
 */
export interface IxgbeStats {
  /**
   * Frames delivered to the host: the sum of the per-queue QPRC counters. Not GPRC: on the
   * 82599 GPRC also counts frames then missed for lack of packet buffer (MPC) or dropped for
   * lack of a descriptor (QPRDC).
   */
  readonly rxPackets: number;
  /** Good frames transmitted (GPTC). */
  readonly txPackets: number;
  /**
   * Good octets received at the MAC (GORC) for every frame in macRxPackets (also those then
   * missed or dropped). The 82599 leaves the CRC out of GORC and QBRC while it strips it
   * (HLREG0.RXCRCSTRP, always set by this driver; DPDK corrects for the same behaviour), so
   * these are frame bytes without CRC. The octets delivered to the host are the per-queue
   * `bytes` (QBRC).
   */
  readonly rxBytes: number;
  /** Good octets transmitted (GOTC): destination address through CRC, padding included. */
  readonly txBytes: number;
  /**
   * Good frames the MAC accepted (GPRC), whether or not they reached a queue: rxPackets plus
   * missed (MPC) plus no-descriptor drops (QPRDC) on the 82599.
   */
  readonly macRxPackets: number;
  /** Frames missed because a packet buffer was full (sum of MPC 0..7). */
  readonly rxMissed: number;
  readonly crcErrors: number;
  readonly lengthErrors: number;
  readonly rxQueues: readonly QueueStats[];
  readonly txQueues: readonly QueueStats[];
}

const GLOBAL = 7; // GPRC, GPTC, GORC, GOTC, MPC (sum), CRCERRS, RLEC
const PER_QUEUE = 3; // packets, bytes, dropped

/** The counter registers read, in order: [total slot, L offset, H offset or -1]. */
function counterList(rxQueues: number, txQueues: number): [number, number, number][] {
  const list: [number, number, number][] = [
    [0, S.GPRC, -1],
    [1, S.GPTC, -1],
    [2, S.GORCL, S.GORCH],
    [3, S.GOTCL, S.GOTCH],
  ];
  for (let n = 0; n < S.MPC_COUNT; n++) list.push([4, S.MPC(n), -1]);
  list.push([5, S.CRCERRS, -1], [6, S.RLEC, -1]);
  for (let q = 0; q < rxQueues; q++) {
    const k = GLOBAL + PER_QUEUE * q;
    list.push([k, S.QPRC(q), -1], [k + 1, S.QBRC_L(q), S.QBRC_H(q)], [k + 2, S.QPRDC(q), -1]);
  }
  for (let q = 0; q < txQueues; q++) {
    const k = GLOBAL + PER_QUEUE * (rxQueues + q);
    list.push([k, S.QPTC(q), -1], [k + 1, S.QBTC_L(q), S.QBTC_H(q)]);
  }
  return list;
}

/**
 * Accumulator of the device counters: clear-on-read registers are summed, free-running ones
 * (PlainRead) are differenced. Free-running counters must be read before they move on by half
 * their range (2^35 octets: ~27 s at 10 Gbit/s; 2^31 frames), or a wrap is taken for a reset.
 */
export class StatsAccumulator {
  private readonly totals: Float64Array;
  private readonly slot: Int32Array;
  private readonly low: Int32Array;
  private readonly high: Int32Array;
  /** Per counter: 1 when it runs free (read as plain memory). */
  private readonly plain: Uint8Array;
  /** Per free-running counter: the value at the last read, and the one being read. */
  private readonly last: Float64Array;
  private readonly now: Float64Array;
  private readonly anyPlain: boolean;
  /** The offsets of the clear-on-read counters in read order (an L/H pair: L, then H). */
  private readonly trapOffsets: Int32Array;
  private readonly trapValues: Uint32Array;

  constructor(
    private readonly rxQueues: number,
    private readonly txQueues: number,
    plainRead: PlainRead = () => false,
  ) {
    this.totals = new Float64Array(GLOBAL + PER_QUEUE * (rxQueues + txQueues));
    const list = counterList(rxQueues, txQueues);
    this.slot = Int32Array.from(list, (c) => c[0]);
    this.low = Int32Array.from(list, (c) => c[1]);
    this.high = Int32Array.from(list, (c) => c[2]);
    this.plain = Uint8Array.from(list, (c) => (plainRead(c[1]) ? 1 : 0));
    this.last = new Float64Array(list.length);
    this.now = new Float64Array(list.length);
    this.anyPlain = this.plain.includes(1);
    const trap: number[] = [];
    for (const [i, c] of list.entries()) {
      if (this.plain[i] === 1) continue;
      trap.push(c[1]);
      if (c[2] >= 0) trap.push(c[2]);
    }
    this.trapOffsets = Int32Array.from(trap);
    this.trapValues = new Uint32Array(trap.length);
  }

  /** How many counters run free (are read as plain memory and differenced). */
  get freeRunning(): number {
    return this.plain.reduce((n, p) => n + p, 0);
  }

  /**
   * Reads every counter once and adds what it counted since the last read. A free-running
   * counter found below its last value (by less than half its range) means the device reset
   * its counters behind the driver's back: every free-running counter then counts from zero.
   */
  update(mmio: Mmio): void {
    const { totals, slot, low, high, plain } = this;
    const vals = this.trapValues;
    if (vals.length > 0) readRegisters(mmio, this.trapOffsets, vals);
    let k = 0;
    for (let i = 0; i < low.length; i++) {
      if (plain[i] === 1) continue;
      const lo = vals[k++] as number;
      // An L/H pair is read L first, then H (trapOffsets holds them in that order).
      const v = (high[i] as number) < 0 ? lo : octets36(lo, vals[k++] as number);
      totals[slot[i] as number] += v;
    }
    if (!this.anyPlain) return;
    if (this.readFree(mmio)) {
      // Read again: words published after the reset may have come in the middle of the pass.
      this.last.fill(0);
      this.readFree(mmio);
    }
    this.addFree();
  }

  /** The device reset its counters (the driver reset it): free-running ones restart at 0. */
  restarted(): void {
    this.last.fill(0);
  }

  /** Reads and discards every counter (after reset, so totals start at zero). */
  clear(mmio: Mmio): void {
    this.update(mmio);
    this.totals.fill(0);
  }

  // Reads the free-running counters into `now`; true when one went backwards (a reset).
  private readFree(mmio: Mmio): boolean {
    const { low, high, plain, last, now } = this;
    let back = false;
    for (let i = 0; i < low.length; i++) {
      if (plain[i] === 0) continue;
      const l = low[i] as number;
      const h = high[i] as number;
      const prev = last[i] as number;
      let v = h < 0 ? mmio.read32(l) >>> 0 : readShared36(mmio, l, h);
      // The device writes L and H one after the other: a pair read between the two stores
      // can look up to 2^32 behind. Such a tear lasts nanoseconds; a reset stays.
      for (let k = 0; h >= 0 && k < TORN_RETRIES && behind(v, prev, TWO_36); k++) {
        v = readShared36(mmio, l, h);
      }
      if (behind(v, prev, h < 0 ? TWO_32 : TWO_36)) back = true;
      now[i] = v;
    }
    return back;
  }

  private addFree(): void {
    const { totals, slot, high, plain, last, now } = this;
    for (let i = 0; i < plain.length; i++) {
      if (plain[i] === 0) continue;
      let d = (now[i] as number) - (last[i] as number);
      if (d < 0) d += (high[i] as number) < 0 ? TWO_32 : TWO_36; // wrapped
      totals[slot[i] as number] += d;
      last[i] = now[i] as number;
    }
  }

  /** A snapshot combining the totals with per-queue software counters ([packets, bytes, ...]). */
  snapshot(rxSoft: readonly Float64Array[], txSoft: readonly Float64Array[]): IxgbeStats {
    const t = this.totals;
    const queue = (k: number, soft: Float64Array | undefined): QueueStats => ({
      packets: t[k] as number,
      bytes: t[k + 1] as number,
      dropped: t[k + 2] as number,
      swPackets: soft?.[0] ?? 0,
      swBytes: soft?.[1] ?? 0,
    });
    const rxQueues = Array.from({ length: this.rxQueues }, (_, q) =>
      queue(GLOBAL + PER_QUEUE * q, rxSoft[q]),
    );
    return {
      rxPackets: rxQueues.reduce((n, q) => n + q.packets, 0),
      txPackets: t[1] as number,
      rxBytes: t[2] as number,
      txBytes: t[3] as number,
      macRxPackets: t[0] as number,
      rxMissed: t[4] as number,
      crcErrors: t[5] as number,
      lengthErrors: t[6] as number,
      rxQueues,
      txQueues: Array.from({ length: this.txQueues }, (_, q) => {
        const s = queue(GLOBAL + PER_QUEUE * (this.rxQueues + q), txSoft[q]);
        return { ...s, dropped: 0 };
      }),
    };
  }
}

// True when `v` is below `prev` by less than half the range: it went backwards rather than
// wrapping around (a wrap leaves it far below).
function behind(v: number, prev: number, range: number): boolean {
  return v < prev && prev - v < range / 2;
}

/** RQSMR/TQSM value mapping queues 4n..4n+3 to statistics slots 4n..4n+3. */
export const identityQueueMap = (n: number): number =>
  ((4 * n) | ((4 * n + 1) << 8) | ((4 * n + 2) << 16) | ((4 * n + 3) << 24)) >>> 0;

/** Maps queue q -> statistics slot q for the first `queues` RX and TX queues. */
export function mapQueueStats(mmio: Mmio, rxQueues: number, txQueues: number): void {
  for (let n = 0; n * 4 < rxQueues; n++) mmio.write32(S.RQSMR(n), identityQueueMap(n));
  for (let n = 0; n * 4 < txQueues; n++) mmio.write32(S.TQSM(n), identityQueueMap(n));
}
