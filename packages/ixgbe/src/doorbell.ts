/*
 * A tail register (RDT/TDT) the hot path writes once per batch: a plain 32-bit store.
 *
 * Never Atomics.store on a BAR: on x86-64 Bun compiles it to `xchg`, a locked read-modify-write,
 * which on uncached device memory is a bus lock plus a non-posted read per batch.
 *
 * Ordering (descriptor stores visible to the device before the tail): the CPU keeps stores in
 * program order (x86 TSO; BARs are uncached, descriptor rings write-back, and UC stores are not
 * reordered with earlier WB stores). The JIT keeps them in order too: the descriptor stores and
 * the tail store are all element stores into Uint32Arrays, which JSC's DFG and B3 put in one
 * abstract heap (TypedArrayProperties). Two views may share a buffer, so the compiler cannot
 * prove they do not alias and never moves one store past the other, nor sinks the tail store
 * out of the batch. scripts/doorbell-disasm.ts checks the emitted instruction after warm-up
 * (a plain 32-bit `mov`, no `xchg`, no `lock`); test/doorbell-disasm.test.ts runs it.
 *
 * Trapped tails (vfio-user without a mapped BAR) go through Mmio.write32, a message that is
 * ordered after everything the process wrote before it.
 */
import type { Mmio } from "@dataplane/pci";

/** A resolved tail register. Built at setup; `ring` is called once per batch. */
export class Doorbell {
  private readonly view: Uint32Array;
  private readonly index: number;
  private readonly direct: boolean;

  constructor(
    private readonly mmio: Mmio,
    private readonly offset: number,
  ) {
    const word = mmio.word(offset);
    this.direct = word !== null;
    this.view = word === null ? new Uint32Array(1) : word.view;
    this.index = word === null ? 0 : word.index;
  }

  /** Publishes `value`; every earlier descriptor store is visible to the device first. */
  ring(value: number): void {
    if (this.direct) this.view[this.index] = value;
    else this.mmio.write32(this.offset, value);
  }
}
