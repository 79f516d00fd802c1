/*
 * A tail register the hot path writes once per batch. Directly mapped BARs get an Atomics.store
 * on the mapped word; trapped ones (vfio-user without a shared BAR) go through Mmio.write32.
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
    if (this.direct) Atomics.store(this.view, this.index, value);
    else this.mmio.write32(this.offset, value);
  }
}
