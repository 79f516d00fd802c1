/*
 * What the device saw of Bus Master Enable (PCI Command register bit 2). A function whose BME is
 * clear may not issue memory requests (PCI Local Bus Specification 3.0, 6.2.2; 82599 datasheet
 * 9.3.3.3, Command Register), and the datapath steps only while it is set. This records each
 * change as the datapath read it, with the DMA accesses made up to then, so that a test can show
 * that once the device saw BME cleared it made no further access to host memory.
 */

/** One change of BME as seen by the datapath. */
export interface BusMasterChange {
  /** true: set, false: cleared. */
  readonly on: boolean;
  /** DMA accesses (resolve calls) the port had made when it saw the change. */
  readonly accesses: number;
  /** Device resets (CTRL.RST or reset()) the port had seen by then. */
  readonly resets: number;
  /** The sysfs client attached at the time, or -1. */
  readonly clientPid: number;
}

/** The last changes of BME (a bounded history), for `stats`. */
export class BusMasterWatch {
  private last = false;
  private readonly changes: BusMasterChange[] = [];

  /**
   * Called with every datapath read of BME; returns `on`. Records a change (rare) through
   * `snapshot`, which is only called then.
   */
  sample(on: boolean, snapshot: () => Omit<BusMasterChange, "on">): boolean {
    if (on === this.last) return on;
    this.last = on;
    this.changes.push({ on, ...snapshot() });
    if (this.changes.length > 16) this.changes.shift();
    return on;
  }

  /** The recorded changes, oldest first. */
  report(): readonly BusMasterChange[] {
    return [...this.changes];
  }
}
