/*
 * What a port's earlier models counted. A power cycle replaces the model with a fresh one whose
 * counters start at 0 (as the card's do), while the wire and its generator count on; whoever
 * balances generated against received frames over a run with a power cycle in it needs the
 * frames the replaced models took, delivered, sent and dropped. Kept per port by PortHost and
 * reported by `stats` as `beforePowerCycles`.
 */
import type { PortStats } from "../model/stats-report.ts";

/** Frame counts of the models retired by power cycles, summed. */
export interface RetiredCounts {
  /** Power cycles so far. */
  powerCycles: number;
  rx: { frames: number; delivered: number; dropped: Record<string, number> };
  tx: { frames: number; dropped: Record<string, number> };
}

/** The running sums over a port's retired models. */
export class PowerHistory {
  readonly counts: RetiredCounts = {
    powerCycles: 0,
    rx: { frames: 0, delivered: 0, dropped: {} },
    tx: { frames: 0, dropped: {} },
  };

  /**
   * Adds the final counts of a model that is being powered off. Frames still waiting in its
   * packet buffer are lost with it: counted as dropped by reset, like those a device reset
   * flushes.
   */
  retire(s: PortStats): void {
    const c = this.counts;
    c.powerCycles++;
    c.rx.frames += s.rx.frames;
    c.rx.delivered += s.rx.delivered;
    addInto(c.rx.dropped, s.rx.dropped);
    c.rx.dropped.reset = (c.rx.dropped.reset ?? 0) + s.rx.waiting;
    c.tx.frames += s.tx.frames;
    addInto(c.tx.dropped, s.tx.dropped);
  }
}

function addInto(sum: Record<string, number>, add: Readonly<Record<string, number>>): void {
  for (const [k, v] of Object.entries(add)) sum[k] = (sum[k] ?? 0) + v;
}
