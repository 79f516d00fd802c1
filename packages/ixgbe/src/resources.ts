/*
 * The device's DMA resources: one block for all rings, one block + pool per queue. Built at
 * open, released in reverse order by release(), whatever happened in between.
 */
import type { Mmio } from "@dataplane/pci";
import { createPool, poolBytes } from "./backend/pool.ts";
import type { Backend, DmaBlock } from "./backend/types.ts";
import { Doorbell } from "./doorbell.ts";
import type { ResolvedOptions } from "./options.ts";
import type { BufferPool } from "./pool.ts";
import { type QueueArea, QueueStateBlock } from "./queue-state.ts";
import * as RX from "./regs/receive.ts";
import * as TX from "./regs/transmit.ts";
import { carveRings, type RingSlice, ringBytes } from "./rings.ts";
import { RxQueue } from "./rx-queue.ts";
import { TxQueue } from "./tx-queue.ts";

/** Everything allocated for the queues. */
export class QueueResources {
  readonly rx: RxQueue[] = [];
  readonly tx: TxQueue[] = [];
  readonly rxRings: RingSlice[] = [];
  readonly txRings: RingSlice[] = [];
  /** Pools made by the driver (closed on release), by queue. */
  readonly rxPools: BufferPool[] = [];
  readonly txPools: BufferPool[] = [];
  /** The DMA block behind each RX pool (what another device maps to send from that pool). */
  readonly rxPoolBlocks: DmaBlock[] = [];
  /** Counters, ring positions and slot tables of every queue, in thread-shared memory. */
  state: QueueStateBlock | null = null;
  private readonly blocks: DmaBlock[] = [];

  /** Allocates rings and pools and builds the queue objects. Releases what it got on failure. */
  static build(backend: Backend, mmio: Mmio, o: ResolvedOptions): QueueResources {
    const r = new QueueResources();
    try {
      r.allocate(backend, mmio, o);
    } catch (e) {
      r.release();
      throw e;
    }
    return r;
  }

  private block(backend: Backend, bytes: number, label: string): DmaBlock {
    const b = backend.allocDma(bytes, label);
    this.blocks.push(b);
    return b;
  }

  private pool(backend: Backend, count: number | undefined, ring: number, label: string) {
    const block = this.block(backend, poolBytes(count ?? 2 * ring), label);
    return { block, pool: createPool(block, label, count) };
  }

  private allocate(backend: Backend, mmio: Mmio, o: ResolvedOptions): void {
    const sizes = [
      ...Array.from({ length: o.rxQueues }, () => o.rxRingSize),
      ...Array.from({ length: o.txQueues }, () => o.txRingSize),
    ];
    const rings = carveRings(this.block(backend, ringBytes(sizes), "descriptor rings"), sizes);
    const state = QueueStateBlock.create(sizes.slice(0, o.rxQueues), sizes.slice(o.rxQueues));
    this.state = state;
    for (let q = 0; q < o.rxQueues; q++) {
      const ring = rings[q] as RingSlice;
      const { block, pool } = this.pool(
        backend,
        o.rxPoolSize,
        o.rxRingSize,
        `RX queue ${q} buffers`,
      );
      this.rxPools.push(pool);
      this.rxPoolBlocks.push(block);
      this.rxRings.push(ring);
      const area = state.rx[q] as QueueArea;
      const tail = new Doorbell(mmio, RX.RDT(q));
      const mask = o.rxRingSize - 1;
      this.rx.push(
        new RxQueue(q, ring.words, area.slots, pool, tail, mask, area.counters, area.state),
      );
    }
    for (let q = 0; q < o.txQueues; q++) {
      const ring = rings[o.rxQueues + q] as RingSlice;
      const { pool } = this.pool(backend, o.txPoolSize, o.txRingSize, `TX queue ${q} buffers`);
      this.txPools.push(pool);
      this.txRings.push(ring);
      const area = state.tx[q] as QueueArea;
      const tail = new Doorbell(mmio, TX.TDT(q));
      const mask = o.txRingSize - 1;
      this.tx.push(
        new TxQueue(q, ring.words, area.slots, pool, tail, mask, area.counters, area.state),
      );
    }
  }

  /** Closes pools, then DMA blocks (unmapping them). Idempotent; keeps going past errors. */
  release(): void {
    const errors: unknown[] = [];
    for (const p of [...this.rxPools, ...this.txPools]) {
      try {
        p.close();
      } catch (e) {
        errors.push(e);
      }
    }
    for (const b of this.blocks.splice(0).reverse()) {
      try {
        b.close();
      } catch (e) {
        errors.push(e);
      }
    }
    try {
      this.state?.close();
    } catch (e) {
      errors.push(e);
    }
    if (errors.length > 0) throw errors[0];
  }
}
