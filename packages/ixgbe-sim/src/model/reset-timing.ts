/*
 * Device reset timing after CTRL.RST (datasheet §4.6.3.2, §8.2.3.1.1): the reset takes about
 * 1 ms, during which CTRL.RST reads 1 and writes are not taken; the EEPROM auto-read then sets
 * EEC.ARD, and the DMA engine's init sets RDRXCTL.DMAIDONE. Software polls all three. The model
 * applies the reset values at once (registers read their in-reset values), then raises the
 * bits at the configured times. poll() is one comparison while nothing is pending.
 */
import * as R from "@dataplane/ixgbe/regs";
import type { PortCore } from "./core.ts";

/** Delays after CTRL.RST, ms. */
export interface ResetTiming {
  /** CTRL.RST self-clears this long after it was set (datasheet: about 1 ms). */
  readonly resetMs: number;
  /** EEC.ARD rises this long after CTRL.RST was set (EEPROM auto-read). */
  readonly autoReadMs: number;
  /** RDRXCTL.DMAIDONE rises this long after CTRL.RST was set (DMA init). */
  readonly dmaInitMs: number;
}

/** Defaults, inside the datasheet's range: reset ~1 ms, auto-read and DMA init done soon after. */
export const RESET_TIMING_DEFAULT: ResetTiming = { resetMs: 1, autoReadMs: 2, dmaInitMs: 2 };

const W_CTRL = R.CTRL >>> 2;
const W_EEC = R.EEC >>> 2;
const W_RDRXCTL = R.RDRXCTL >>> 2;

/** The pending steps of one port's reset. */
export class ResetTimer {
  private rstAt = -1;
  private ardAt = -1;
  private dmaAt = -1;
  /** Earliest pending time, or -1 when nothing is pending. */
  private next = -1;

  constructor(
    private readonly c: PortCore,
    private readonly timing: ResetTiming,
  ) {}

  /** True while CTRL.RST still reads 1. */
  get inReset(): boolean {
    return this.rstAt >= 0;
  }

  /** A reset just applied the default values at `now`: show the in-reset state. */
  start(now: number, bits: number = R.CTRL_RST): void {
    const c = this.c;
    const t = this.timing;
    this.rstAt = now + t.resetMs * 1e6;
    this.ardAt = now + t.autoReadMs * 1e6;
    this.dmaAt = now + t.dmaInitMs * 1e6;
    this.next = Math.min(this.rstAt, this.ardAt, this.dmaAt);
    c.set(W_CTRL, bits & R.CTRL_RST_MASK); // the reset bits written read 1 until done
    c.set(W_EEC, c.bar[W_EEC] & ~R.EEC_ARD);
    c.set(W_RDRXCTL, c.bar[W_RDRXCTL] & ~R.RDRXCTL_DMAIDONE);
    this.poll(now); // zero delays complete at once
  }

  /** Nothing pending (a reset done by the model itself, instantly). */
  clear(): void {
    this.rstAt = this.ardAt = this.dmaAt = this.next = -1;
  }

  /** Completes the steps whose time has come. */
  poll(now: number): void {
    if (this.next < 0 || now < this.next) return;
    const c = this.c;
    if (this.rstAt >= 0 && now >= this.rstAt) {
      this.rstAt = -1;
      c.set(W_CTRL, c.bar[W_CTRL] & ~R.CTRL_RST_MASK);
    }
    if (this.ardAt >= 0 && now >= this.ardAt) {
      this.ardAt = -1;
      c.set(W_EEC, c.bar[W_EEC] | R.EEC_ARD);
    }
    if (this.dmaAt >= 0 && now >= this.dmaAt) {
      this.dmaAt = -1;
      c.set(W_RDRXCTL, c.bar[W_RDRXCTL] | R.RDRXCTL_DMAIDONE);
    }
    let next = -1;
    for (const at of [this.rstAt, this.ardAt, this.dmaAt]) {
      if (at >= 0 && (next < 0 || at < next)) next = at;
    }
    this.next = next;
  }
}
