/*
 * Link state: down after reset; up a configurable delay after autonegotiation restarts
 * (AUTOC.Restart_AN), always at 10 Gb/s serial. A link reset (CTRL.LRST) is a device reset.
 * Strict (datasheet §4.6.4): the link trains only after the driver restarted autonegotiation
 * since the last device reset, and only when AUTOC.LMS selects 10 Gb/s serial (SFI): the
 * model's cable is an SFP+ direct attach / 10GBASE-SR link, on which the backplane (KX/KX4/KR),
 * parallel (XAUI), SGMII and 1 Gb/s modes never train, so they leave the link down. Lenient:
 * the link also comes up by itself after a device reset, whatever AUTOC says (older model).
 * Every change sets EICR.LSC. LINKS.LINK_STATUS
 * (bit 7) is latched low: after a drop it reads 0 once even if the link is back. linkDown()
 * models a pulled cable: the link stays down until linkUp().
 */
import * as R from "@dataplane/ixgbe/regs";
import { KS, type PortCore } from "./core.ts";
import { LINKS_UP_VALUE } from "./defaults.ts";

const W_LINKS = R.LINKS >>> 2;
const W_STATUS = R.STATUS >>> 2;
const W_CTRL = R.CTRL >>> 2;
const W_AUTOC = R.AUTOC >>> 2;

/** Link bring-up and status registers of one port. */
export class LinkUnit {
  /** When the link comes up (model ns), or -1 when nothing is scheduled. */
  upAt = -1;
  /** A pulled cable: no bring-up until linkUp(). */
  cableOut = false;
  private latchedDown = true;
  /** Strict: autonegotiation was restarted since the last device reset (plug() may train). */
  private anRestarted = false;

  constructor(
    private readonly c: PortCore,
    private readonly delayNs: number,
    private readonly strict: boolean,
  ) {}

  /** Brings the link up if its time has come. Cheap; called every step. */
  poll(now: number): void {
    if (this.upAt >= 0 && now >= this.upAt) {
      this.upAt = -1;
      this.set(true, now);
    }
  }

  /** Link reset / AN restart: down now (LSC), up after the configured delay if AUTOC allows. */
  restart(now: number): void {
    this.set(false, now);
    this.anRestarted = true;
    if (!this.cableOut && this.trains()) this.upAt = now + this.delayNs;
  }

  /** Device reset: registers already hold their defaults (LINKS = 0); lenient: up later. */
  deviceReset(now: number): void {
    this.quietDown();
    this.anRestarted = false;
    if (!this.strict && !this.cableOut) this.upAt = now + this.delayNs;
  }

  /** True when the link may come up: lenient always; strict after AN restart in 10G serial. */
  private trains(): boolean {
    if (!this.strict) return true;
    const lms = this.c.bar[W_AUTOC] & R.AUTOC_LMS_MASK;
    return this.anRestarted && lms === R.AUTOC_LMS_10G_SERIAL;
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
    if (this.c.linkUp || !this.trains()) return;
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
