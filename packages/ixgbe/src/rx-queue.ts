/*
 * RX hot path. The driver owns descriptors from `next` up to the tail; the NIC owns the rest
 * and hands each back with DD set. Buffers are pool indices; `slotBuf[i]` remembers which
 * buffer descriptor i holds, because the advanced write-back overwrites the address.
 *
 * Frames spanning several descriptors (no EOP on the first) cannot happen with 2 KiB buffers
 * and jumbo frames off; if one arrives anyway, every descriptor of the chain is recycled in
 * place and counted in `counters[RX_CHAIN_DROPS]` instead of being delivered.
 */
import type { Doorbell } from "./doorbell.ts";
import { type BufferPool, NO_BUFFER } from "./pool.ts";
import { STATE_POS0, STATE_POS1 } from "./queue-state.ts";
import { RXDADV_LEN_MASK, RXDADV_STAT_DD, RXDADV_STAT_EOP } from "./regs/descriptors.ts";

/** counters[RX_PACKETS]: frames delivered. */
export const RX_PACKETS = 0;
/** counters[RX_BYTES]: bytes delivered (without CRC). */
export const RX_BYTES = 1;
/** counters[RX_CHAIN_DROPS]: descriptors of multi-descriptor frames dropped. */
export const RX_CHAIN_DROPS = 2;
/** counters[RX_NO_BUFFER]: batches cut short because the pool was empty. */
export const RX_NO_BUFFER = 3;

/** One RX queue. Every field is set in the constructor (one hidden class). */
export class RxQueue {
  private next = 0;
  /** 1 while inside a multi-descriptor frame being dropped. */
  private inChain = 0;
  /** True while another thread drives this ring (handoff.ts): the hot path then does nothing. */
  private suspended = false;

  constructor(
    /** Queue number. */
    readonly id: number,
    /** This ring's descriptors: 4 words each. */
    private readonly ring: Uint32Array,
    /** Ring slot -> buffer index. */
    private readonly slotBuf: Uint32Array,
    /** Pool the ring's buffers come from and received buffers belong to. */
    readonly pool: BufferPool,
    private readonly tail: Doorbell,
    /** Ring size - 1 (the size is a power of two). */
    private readonly mask: number,
    /** Software counters, see RX_PACKETS..RX_NO_BUFFER (shared memory when made by a device). */
    readonly counters: Float64Array = new Float64Array(4),
    /** Where suspend() publishes the ring position (STATE_* words, see queue-state.ts). */
    private readonly state: Uint32Array = new Uint32Array(8),
  ) {}

  /** True after suspend(), until resume(). */
  get isSuspended(): boolean {
    return this.suspended;
  }

  /**
   * Publishes the ring position to the state words and stops this object from touching the
   * ring: rxBatch returns 0 and ready() false until resume(). For handing the ring to another
   * thread, which resumes its own RxQueue over the same memory.
   */
  suspend(): void {
    if (this.suspended) return;
    this.suspended = true;
    Atomics.store(this.state, STATE_POS1, this.inChain);
    Atomics.store(this.state, STATE_POS0, this.next);
  }

  /** Takes the ring position from the state words (where the last suspend() left it). */
  resume(): void {
    this.next = Atomics.load(this.state, STATE_POS0) & this.mask;
    this.inChain = Atomics.load(this.state, STATE_POS1) === 0 ? 0 : 1;
    this.suspended = false;
  }

  /** Ring size in descriptors. */
  get size(): number {
    return this.mask + 1;
  }

  /**
   * Fills every descriptor with a fresh buffer (setup, before the queue is enabled). Throws
   * when the pool cannot cover the ring.
   */
  fill(): void {
    const { ring, slotBuf, pool } = this;
    for (let i = 0; i <= this.mask; i++) {
      const b = pool.allocOne();
      if (b === NO_BUFFER) throw new RangeError(`pool has fewer than ${this.mask + 1} buffers`);
      slotBuf[i] = b;
      const d = i << 2;
      ring[d] = pool.dmaLo[b] as number;
      ring[d + 1] = pool.dmaHi[b] as number;
      ring[d + 2] = 0;
      ring[d + 3] = 0;
    }
    this.next = 0;
  }

  /**
   * Points every descriptor at the buffer its slot already holds and starts over at slot 0
   * (recovery after a device reset, which forgets the ring). Frames the NIC had written but
   * rxBatch had not taken are dropped; returns how many. Allocates no buffer.
   */
  rearm(): number {
    const { ring, slotBuf, pool } = this;
    let lost = 0;
    for (let i = 0; i <= this.mask; i++) {
      const d = i << 2;
      if ((Atomics.load(ring, d + 2) & RXDADV_STAT_DD) !== 0) lost++;
      const b = slotBuf[i] as number;
      ring[d] = pool.dmaLo[b] as number;
      ring[d + 1] = pool.dmaHi[b] as number;
      ring[d + 2] = 0;
      ring[d + 3] = 0;
    }
    this.next = 0;
    this.inChain = 0;
    return lost;
  }

  /** True when the descriptor at the read position is done (a frame is waiting). */
  ready(): boolean {
    if (this.suspended) return false;
    return (Atomics.load(this.ring, (this.next << 2) + 2) & RXDADV_STAT_DD) !== 0;
  }

  /**
   * Moves up to `max` received buffer indices into `out` (lengths in pool.len). Returns the
   * count. Allocates nothing and never throws; the caller owns the returned buffers.
   */
  rxBatch(out: Uint32Array, max: number): number {
    if (this.suspended) return 0; // handed to another thread
    const { ring, slotBuf, pool, mask } = this;
    const len = pool.len;
    const dmaLo = pool.dmaLo;
    const dmaHi = pool.dmaHi;
    let i = this.next;
    let n = 0;
    let bytes = 0;
    let moved = 0;
    while (n < max) {
      const d = i << 2;
      const status = Atomics.load(ring, d + 2);
      if ((status & RXDADV_STAT_DD) === 0) break; // the NIC has not written it yet
      if (this.inChain !== 0 || (status & RXDADV_STAT_EOP) === 0) {
        // Part of a multi-descriptor frame: give the same buffer back to the NIC.
        this.inChain = (status & RXDADV_STAT_EOP) === 0 ? 1 : 0;
        this.counters[RX_CHAIN_DROPS] += 1;
        const b = slotBuf[i] as number;
        ring[d] = dmaLo[b] as number;
        ring[d + 1] = dmaHi[b] as number;
      } else {
        const fresh = pool.allocOne();
        if (fresh === NO_BUFFER) {
          this.counters[RX_NO_BUFFER] += 1;
          break; // leave the frame in the ring; the next poll retries
        }
        const b = slotBuf[i] as number;
        const l = (ring[d + 3] as number) & RXDADV_LEN_MASK;
        len[b] = l;
        bytes += l;
        out[n++] = b;
        slotBuf[i] = fresh;
        ring[d] = dmaLo[fresh] as number;
        ring[d + 1] = dmaHi[fresh] as number;
      }
      ring[d + 2] = 0; // header address 0: also clears DD
      ring[d + 3] = 0;
      i = (i + 1) & mask;
      moved++;
    }
    if (moved > 0) {
      this.next = i;
      // The tail trails the read position by one: RDT == RDH would mean "no descriptors".
      this.tail.ring((i - 1) & mask);
      this.counters[RX_PACKETS] += n;
      this.counters[RX_BYTES] += bytes;
    }
    return n;
  }
}
