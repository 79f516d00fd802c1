/*
 * Statistics: the hardware counters are clear-on-read, so every read is a delta that gets
 * added to doubles (exact up to 2^53). Octet counters are 36 bits: L holds bits 31:0, H bits
 * 35:32; L is read first. Per-queue hardware counters follow RQSMR/TQSM, which the driver maps
 * queue q -> statistics slot q.
 */
import type { Mmio } from "@dataplane/pci";
import * as S from "./regs/stats.ts";

const TWO_32 = 2 ** 32;

/** Reads a 36-bit clear-on-read octet counter pair (L first, then H). */
export function read36(mmio: Mmio, low: number, high: number): number {
  const lo = mmio.read32(low) >>> 0;
  const hi = mmio.read32(high) & S.OCTET_HIGH_MASK;
  return hi * TWO_32 + lo;
}

/** Per-queue counters: hardware (slot of the queue) plus driver software counters. */
export interface QueueStats {
  readonly packets: number;
  readonly bytes: number;
  /** RX only: frames dropped for lack of descriptors (QPRDC). */
  readonly dropped: number;
  /** Frames the driver handed out (RX) or queued (TX). */
  readonly swPackets: number;
  /** Bytes the driver handed out (RX) or queued (TX). */
  readonly swBytes: number;
}

/** Device statistics since open (sums of every hardware read). */
export interface IxgbeStats {
  readonly rxPackets: number;
  readonly txPackets: number;
  /** Good octets received, including CRC. */
  readonly rxBytes: number;
  /** Good octets transmitted, including CRC and padding. */
  readonly txBytes: number;
  /** Frames missed because a packet buffer was full (sum of MPC 0..7). */
  readonly rxMissed: number;
  readonly crcErrors: number;
  readonly lengthErrors: number;
  readonly rxQueues: readonly QueueStats[];
  readonly txQueues: readonly QueueStats[];
}

const GLOBAL = 7; // rxPackets, txPackets, rxBytes, txBytes, rxMissed, crcErrors, lengthErrors
const PER_QUEUE = 3; // packets, bytes, dropped

/** Accumulator of clear-on-read hardware counters. */
export class StatsAccumulator {
  private readonly totals: Float64Array;

  constructor(
    private readonly rxQueues: number,
    private readonly txQueues: number,
  ) {
    this.totals = new Float64Array(GLOBAL + PER_QUEUE * (rxQueues + txQueues));
  }

  /** Reads every counter once and adds it to the totals. */
  update(mmio: Mmio): void {
    const t = this.totals;
    t[0] += mmio.read32(S.GPRC) >>> 0;
    t[1] += mmio.read32(S.GPTC) >>> 0;
    t[2] += read36(mmio, S.GORCL, S.GORCH);
    t[3] += read36(mmio, S.GOTCL, S.GOTCH);
    for (let n = 0; n < S.MPC_COUNT; n++) t[4] += mmio.read32(S.MPC(n)) >>> 0;
    t[5] += mmio.read32(S.CRCERRS) >>> 0;
    t[6] += mmio.read32(S.RLEC) >>> 0;
    for (let q = 0; q < this.rxQueues; q++) {
      const k = GLOBAL + PER_QUEUE * q;
      t[k] += mmio.read32(S.QPRC(q)) >>> 0;
      t[k + 1] += read36(mmio, S.QBRC_L(q), S.QBRC_H(q));
      t[k + 2] += mmio.read32(S.QPRDC(q)) >>> 0;
    }
    for (let q = 0; q < this.txQueues; q++) {
      const k = GLOBAL + PER_QUEUE * (this.rxQueues + q);
      t[k] += mmio.read32(S.QPTC(q)) >>> 0;
      t[k + 1] += read36(mmio, S.QBTC_L(q), S.QBTC_H(q));
    }
  }

  /** Reads and discards every counter (after reset, so totals start at zero). */
  clear(mmio: Mmio): void {
    this.update(mmio);
    this.totals.fill(0);
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
    return {
      rxPackets: t[0] as number,
      txPackets: t[1] as number,
      rxBytes: t[2] as number,
      txBytes: t[3] as number,
      rxMissed: t[4] as number,
      crcErrors: t[5] as number,
      lengthErrors: t[6] as number,
      rxQueues: Array.from({ length: this.rxQueues }, (_, q) =>
        queue(GLOBAL + PER_QUEUE * q, rxSoft[q]),
      ),
      txQueues: Array.from({ length: this.txQueues }, (_, q) => {
        const s = queue(GLOBAL + PER_QUEUE * (this.rxQueues + q), txSoft[q]);
        return { ...s, dropped: 0 };
      }),
    };
  }
}

/** RQSMR/TQSM value mapping queues 4n..4n+3 to statistics slots 4n..4n+3. */
export const identityQueueMap = (n: number): number =>
  ((4 * n) | ((4 * n + 1) << 8) | ((4 * n + 2) << 16) | ((4 * n + 3) << 24)) >>> 0;

/** Maps queue q -> statistics slot q for the first `queues` RX and TX queues. */
export function mapQueueStats(mmio: Mmio, rxQueues: number, txQueues: number): void {
  for (let n = 0; n * 4 < rxQueues; n++) mmio.write32(S.RQSMR(n), identityQueueMap(n));
  for (let n = 0; n * 4 < txQueues; n++) mmio.write32(S.TQSM(n), identityQueueMap(n));
}
