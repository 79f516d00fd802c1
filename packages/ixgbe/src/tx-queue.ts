/*
 * TX hot path. The driver writes descriptors at `tail` and bumps TDT once per batch; the NIC
 * sends them and writes DD back. RS is set on every descriptor (as ixy) so any descriptor can
 * be checked; completions are reclaimed TX_CLEAN_BATCH at a time by checking DD only on the
 * last descriptor of the batch: the NIC completes in order, so the ones before are done too.
 * One slot always stays empty, so tail never catches up with the clean position.
 */
import type { Doorbell } from "./doorbell.ts";
import type { BufferPool } from "./pool.ts";
import { STATE_POS0, STATE_POS1 } from "./queue-state.ts";
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
  private tailIndex = 0;
  private cleanIndex = 0;
  /** True while another thread drives this ring (handoff.ts): the hot path then does nothing. */
  private suspended = false;

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
    /** Software counters, see TX_PACKETS..TX_RING_FULL (shared memory when made by a device). */
    readonly counters: Float64Array = new Float64Array(3),
    /** Where suspend() publishes the ring positions (STATE_* words, see queue-state.ts). */
    private readonly state: Uint32Array = new Uint32Array(8),
  ) {}

  /** True after suspend(), until resume(). */
  get isSuspended(): boolean {
    return this.suspended;
  }

  /**
   * Publishes the ring positions to the state words and stops this object from touching the
   * ring or its pool: txBatch and clean return 0, releaseAll does nothing, until resume().
   */
  suspend(): void {
    if (this.suspended) return;
    this.suspended = true;
    Atomics.store(this.state, STATE_POS1, this.cleanIndex);
    Atomics.store(this.state, STATE_POS0, this.tailIndex);
  }

  /** Takes the ring positions from the state words (where the last suspend() left them). */
  resume(): void {
    this.tailIndex = Atomics.load(this.state, STATE_POS0) & this.mask;
    this.cleanIndex = Atomics.load(this.state, STATE_POS1) & this.mask;
    this.suspended = false;
  }

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
    if (this.suspended) return 0;
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
    if (this.suspended) return 0; // handed to another thread; the buffers stay the caller's
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
    if (this.suspended) return; // the positions belong to whoever drives the ring
    const { slotBuf, pool, mask } = this;
    for (let i = this.cleanIndex; i !== this.tailIndex; i = (i + 1) & mask) {
      pool.freeOne(slotBuf[i] as number);
    }
    this.cleanIndex = this.tailIndex;
  }

  /**
   * Returns every buffer on the ring to the pool and starts over at slot 0, where the NIC's
   * head and tail are after a reset (recovery; the queue must be stopped).
   */
  rewind(): void {
    if (this.suspended) return;
    this.releaseAll();
    this.tailIndex = 0;
    this.cleanIndex = 0;
  }
}
