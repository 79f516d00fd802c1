/*
 * Link state: down after reset, up a configurable delay after reset, link reset (CTRL.LRST) or
 * AUTOC.Restart_AN, always at 10 Gb/s serial. Every change sets EICR.LSC. LINKS.LINK_STATUS
 * (bit 7) is latched low: after a drop it reads 0 once even if the link is back. linkDown()
 * models a pulled cable: the link stays down until linkUp().
 */
import * as R from "@dataplane/ixgbe/regs";
import { KS, type PortCore } from "./core.ts";
import { LINKS_UP_VALUE } from "./defaults.ts";

const W_LINKS = R.LINKS >>> 2;
const W_STATUS = R.STATUS >>> 2;
const W_CTRL = R.CTRL >>> 2;

/** Link bring-up and status registers of one port. */
export class LinkUnit {
  /** When the link comes up (model ns), or -1 when nothing is scheduled. */
  upAt = -1;
  /** A pulled cable: no bring-up until linkUp(). */
  cableOut = false;
  private latchedDown = true;

  constructor(
    private readonly c: PortCore,
    private readonly delayNs: number,
  ) {}

  /** Brings the link up if its time has come. Cheap; called every step. */
  poll(now: number): void {
    if (this.upAt >= 0 && now >= this.upAt) {
      this.upAt = -1;
      this.set(true, now);
    }
  }

  /** Link reset / AN restart / device reset: down now, up after the configured delay. */
  restart(now: number, raiseLsc: boolean): void {
    if (raiseLsc) this.set(false, now);
    else this.quietDown();
    if (!this.cableOut) this.upAt = now + this.delayNs;
  }

  /** After a device reset: registers already hold their defaults (LINKS = 0). */
  quietDown(): void {
    this.c.linkUp = false;
    this.latchedDown = true;
    this.upAt = -1;
    this.publishStatus();
  }

  /** Pulls the cable: link down with LSC, stays down until plug(). */
  unplug(now: number): void {
    this.cableOut = true;
    this.upAt = -1;
    this.set(false, now);
  }

  /** Plugs the cable back: up after `delayNs` (0: at once). */
  plug(now: number, delayNs: number): void {
    this.cableOut = false;
    if (this.c.linkUp) return;
    this.upAt = now + delayNs;
    this.poll(now);
  }

  /** LINKS as a trapped read sees it (with the latched-low bit 7). */
  readLinks(now: number): number {
    this.poll(now);
    const v = this.c.bar[W_LINKS];
    if (this.c.linkUp && this.latchedDown) {
      this.latchedDown = false;
      return (v & ~R.LINKS_LINK_STATUS) >>> 0;
    }
    return v;
  }

  /** STATUS: LAN ID, LinkUp, and PCIe master enable status (clears at once on master disable). */
  publishStatus(): void {
    const c = this.c;
    const base = c.bar[W_STATUS] & ~(R.STATUS_LINK_UP | R.STATUS_PCIE_MASTER_ENABLE_STATUS);
    const master = (c.bar[W_CTRL] & R.CTRL_PCIE_MASTER_DISABLE) === 0;
    c.set(
      W_STATUS,
      (base |
        (c.linkUp ? R.STATUS_LINK_UP : 0) |
        (master ? R.STATUS_PCIE_MASTER_ENABLE_STATUS : 0)) >>>
        0,
    );
  }

  private set(up: boolean, now: number): void {
    const c = this.c;
    if (c.linkUp === up) return;
    c.linkUp = up;
    if (!up) this.latchedDown = true;
    c.set(W_LINKS, up ? LINKS_UP_VALUE : 0);
    this.publishStatus();
    c.k[KS.LINK_CHANGES]++;
    c.intr.otherEvent(R.EICR_LSC, now);
  }
}
