/*
 * TX hot path. The driver writes descriptors at `tail` and bumps TDT once per batch; the NIC
 * sends them and writes DD back. RS is set on every descriptor (as ixy) so any descriptor can
 * be checked; completions are reclaimed TX_CLEAN_BATCH at a time by checking DD only on the
 * last descriptor of the batch: the NIC completes in order, so the ones before are done too.
 * One slot always stays empty, so tail never catches up with the clean position.
 */
import type { Doorbell } from "./doorbell.ts";
import type { BufferPool } from "./pool.ts";
import { ADVTXD_CMD_SINGLE, ADVTXD_PAYLEN_SHIFT, ADVTXD_STAT_DD } from "./regs/descriptors.ts";

/** Completed descriptors are reclaimed in groups of this many. */
export const TX_CLEAN_BATCH = 32;
/** counters[TX_PACKETS]: frames queued. */
export const TX_PACKETS = 0;
/** counters[TX_BYTES]: bytes queued (without CRC and padding). */
export const TX_BYTES = 1;
/** counters[TX_RING_FULL]: batches that could not queue everything. */
export const TX_RING_FULL = 2;

/** One TX queue. Every field is set in the constructor (one hidden class). */
export class TxQueue {
  /** Software counters, see TX_PACKETS..TX_RING_FULL. */
  readonly counters = new Float64Array(3);
  private tailIndex = 0;
  private cleanIndex = 0;

  constructor(
    /** Queue number. */
    readonly id: number,
    private readonly ring: Uint32Array,
    /** Ring slot -> buffer index, for freeing after completion. */
    private readonly slotBuf: Uint32Array,
    /** Pool the queued buffers belong to; completed buffers go back here. */
    public pool: BufferPool,
    private readonly tail: Doorbell,
    private readonly mask: number,
  ) {}

  /** Ring size in descriptors. */
  get size(): number {
    return this.mask + 1;
  }

  /** Descriptors handed to the NIC and not yet reclaimed. */
  get inFlight(): number {
    return (this.tailIndex - this.cleanIndex) & this.mask;
  }

  /** Reclaims completed descriptors, TX_CLEAN_BATCH at a time; returns buffers freed. */
  clean(): number {
    const { ring, slotBuf, pool, mask } = this;
    let clean = this.cleanIndex;
    let freed = 0;
    for (;;) {
      if (((this.tailIndex - clean) & mask) < TX_CLEAN_BATCH) break;
      const last = (clean + TX_CLEAN_BATCH - 1) & mask;
      if ((Atomics.load(ring, (last << 2) + 3) & ADVTXD_STAT_DD) === 0) break;
      for (let k = 0; k < TX_CLEAN_BATCH; k++) {
        pool.freeOne(slotBuf[(clean + k) & mask] as number);
      }
      freed += TX_CLEAN_BATCH;
      clean = (last + 1) & mask;
    }
    this.cleanIndex = clean;
    return freed;
  }

  /**
   * Queues bufs[0..count-1] (lengths from pool.len) and returns how many it took. Buffers not
   * taken stay the caller's. Allocates nothing and never throws.
   */
  txBatch(bufs: Uint32Array, count: number): number {
    this.clean();
    const { ring, slotBuf, pool, mask } = this;
    const len = pool.len;
    const dmaLo = pool.dmaLo;
    const dmaHi = pool.dmaHi;
    const stop = this.cleanIndex;
    let t = this.tailIndex;
    let n = 0;
    let bytes = 0;
    while (n < count) {
      const nextT = (t + 1) & mask;
      if (nextT === stop) break; // ring full: one slot stays free
      const b = bufs[n] as number;
      const l = len[b] as number;
      const d = t << 2;
      ring[d] = dmaLo[b] as number;
      ring[d + 1] = dmaHi[b] as number;
      ring[d + 2] = ADVTXD_CMD_SINGLE | l;
      ring[d + 3] = l << ADVTXD_PAYLEN_SHIFT;
      slotBuf[t] = b;
      bytes += l;
      t = nextT;
      n++;
    }
    if (n > 0) {
      this.tailIndex = t;
      this.tail.ring(t);
      this.counters[TX_PACKETS] += n;
      this.counters[TX_BYTES] += bytes;
    }
    if (n < count) this.counters[TX_RING_FULL] += 1;
    return n;
  }

  /** Returns every buffer still on the ring to the pool (after the queue was stopped). */
  releaseAll(): void {
    const { slotBuf, pool, mask } = this;
    for (let i = this.cleanIndex; i !== this.tailIndex; i = (i + 1) & mask) {
      pool.freeOne(slotBuf[i] as number);
    }
    this.cleanIndex = this.tailIndex;
  }
}
