/*
 * Conformance: register semantics that need no traffic: reset values, self-clearing bits,
 * read-to-set and clear-on-read, write-1-to-set/clear masks, aliases, EEPROM, link bring-up.
 */
import { afterEach, beforeEach, expect } from "bun:test";
import * as R from "@dataplane/ixgbe/regs";
import { FDIRCTRL, FDIRCTRL_INIT_DONE } from "../../src/model/register-map.ts";
import { bringLinkUp, PORT_MAC, resetDevice, waitFor } from "./host.ts";
import { describe, test } from "./skip.ts";
import type { ConformanceTarget, TargetFactory } from "./target.ts";

/** Registers the register-semantics tests for targets made by `make`. */
export function registerTests(name: string, make: TargetFactory): void {
  describe(`${name}: registers`, () => {
    let t: ConformanceTarget;
    beforeEach(() => {
      t = make({ linkUpDelayMs: 5 });
    });
    afterEach(() => t.close());

    test("reset values a driver polls or reads", () => {
      resetDevice(t);
      expect(t.read32(R.CTRL)).toBe(0);
      expect((t.read32(R.STATUS) >>> R.STATUS_LAN_ID_SHIFT) & 3).toBe(0);
      expect(t.read32(R.EEC) & (R.EEC_ARD | R.EEC_EE_PRES)).toBe(R.EEC_ARD | R.EEC_EE_PRES);
      expect(t.read32(R.RDRXCTL) & R.RDRXCTL_DMAIDONE).toBe(R.RDRXCTL_DMAIDONE);
      expect(t.read32(R.SRRCTL(0))).toBe(0x402);
      expect(t.read32(R.SRRCTL_ALIAS(5))).toBe(0x402);
      expect(t.read32(R.SRRCTL(100))).toBe(0x402);
      expect(t.read32(R.DCA_RXCTRL_ALIAS(3)) & R.DCA_RXCTRL_BIT12).toBe(R.DCA_RXCTRL_BIT12);
      expect(t.read32(R.RXCTRL)).toBe(0);
      expect(t.read32(R.FCTRL)).toBe(0);
      expect(t.read32(R.EIMS)).toBe(0);
      expect(t.read32(R.RXDCTL(0)) & R.RXDCTL_ENABLE).toBe(0);
      expect(t.read32(R.TXDCTL(127)) & R.TXDCTL_ENABLE).toBe(0);
      expect(t.read32(R.HLREG0) & (R.HLREG0_RXCRCSTRP | R.HLREG0_TXPADEN)).toBe(
        R.HLREG0_RXCRCSTRP | R.HLREG0_TXPADEN,
      );
      expect(t.read32(R.MAXFRS) >>> 16).toBe(1518);
      expect(t.read32(R.SECRXSTAT) & R.SECRXSTAT_SECRX_RDY).toBe(0); // until RX_DIS
      // EEPROM MAC with AV in entry 0, at both address sets.
      const ral = t.read32(R.RAL_ALIAS(0));
      const rah = t.read32(R.RAH_ALIAS(0));
      expect(ral).toBe(t.read32(R.RAL(0)));
      expect(rah).toBe(t.read32(R.RAH(0)));
      const mac = [
        ral & 0xff,
        (ral >>> 8) & 0xff,
        (ral >>> 16) & 0xff,
        ral >>> 24,
        rah & 0xff,
        (rah >>> 8) & 0xff,
      ];
      expect(mac).toEqual(PORT_MAC);
      expect((rah & R.RAH_AV) >>> 0).toBe(R.RAH_AV);
      expect(t.read32(R.RAH(1)) & R.RAH_AV).toBe(0);
    });

    test("CTRL.RST self-clears and puts every register back to its default", () => {
      resetDevice(t);
      t.write32(R.FCTRL, 0x700);
      t.write32(R.SRRCTL_ALIAS(0), 0x12000004);
      t.write32(R.RAH(0), 0x1234);
      t.write32(R.RXCTRL, 1);
      t.write32(R.EIMS, 0xffff);
      t.write32(R.CTRL, R.CTRL_RST);
      expect(waitFor(t, R.CTRL, R.CTRL_RST, 0) & R.CTRL_RST).toBe(0);
      expect(t.read32(R.FCTRL)).toBe(0);
      expect(t.read32(R.SRRCTL(0))).toBe(0x402);
      expect((t.read32(R.RAH(0)) & R.RAH_AV) >>> 0).toBe(R.RAH_AV);
      expect(t.read32(R.RXCTRL)).toBe(0);
      expect(t.read32(R.EIMS)).toBe(0);
    });

    test("aliases decode onto the same storage", () => {
      resetDevice(t);
      t.write32(R.SRRCTL_ALIAS(7), 0x02000003);
      expect(t.read32(R.SRRCTL(7))).toBe(0x02000003);
      t.write32(R.DCA_RXCTRL(2), 0);
      expect(t.read32(R.DCA_RXCTRL_ALIAS(2))).toBe(0);
      t.write32(R.RAL(3), 0xdeadbeef);
      expect(t.read32(R.RAL_ALIAS(3))).toBe(0xdeadbeef);
      t.write32(R.MRQC_ALIAS, 0x00330001);
      expect(t.read32(R.MRQC)).toBe(0x00330001);
      t.write32(R.RETA(31), 0x03020100);
      expect(t.read32(R.RETA_ALIAS(31))).toBe(0x03020100);
      t.write32(R.RSSRK_ALIAS(9), 0xfa01acbe);
      expect(t.read32(R.RSSRK(9))).toBe(0xfa01acbe);
    });

    test("read-modify-write of plain registers round-trips, read-only ones ignore writes", () => {
      resetDevice(t);
      t.write32(R.CTRL_EXT, t.read32(R.CTRL_EXT) | R.CTRL_EXT_NS_DIS);
      expect(t.read32(R.CTRL_EXT) & R.CTRL_EXT_NS_DIS).toBe(R.CTRL_EXT_NS_DIS);
      t.write32(R.MTA(100), 0x80000001);
      expect(t.read32(R.MTA(100))).toBe(0x80000001);
      const status = t.read32(R.STATUS);
      t.write32(R.STATUS, 0xffffffff);
      expect(t.read32(R.STATUS)).toBe(status);
      t.write32(R.FWSM, 0xffffffff);
      expect(t.read32(R.FWSM)).toBe(0);
    });

    test("SWSM.SMBI is read-to-set; EERD returns data with DONE", () => {
      resetDevice(t);
      expect(t.read32(R.SWSM) & R.SWSM_SMBI).toBe(0); // got it
      expect(t.read32(R.SWSM) & R.SWSM_SMBI).toBe(R.SWSM_SMBI); // now taken
      t.write32(R.SWSM, 0); // release
      expect(t.read32(R.SWSM) & R.SWSM_SMBI).toBe(0);
      t.write32(R.EERD, R.EERD_START | (0x3f << R.EERD_ADDR_SHIFT));
      const v = waitFor(t, R.EERD, R.EERD_DONE, R.EERD_DONE);
      expect(v >>> R.EERD_DATA_SHIFT).toBe(0xbaba);
    });

    test("statistics are clear-on-read", () => {
      resetDevice(t);
      expect(t.read32(R.GPRC)).toBe(0);
      expect(t.read32(R.GORCL)).toBe(0);
      expect(t.read32(R.GORCH)).toBe(0);
      expect(t.read32(R.MPC(0))).toBe(0);
    });

    test("EIMS sets, a 0 write does nothing, EIMC clears; EICS and EICR are RW1C", () => {
      resetDevice(t);
      t.write32(R.EIMS, 0x00100003);
      t.write32(R.EIMS, 0);
      expect(t.read32(R.EIMS)).toBe(0x00100003);
      t.write32(R.EIMC, 0x1);
      expect(t.read32(R.EIMS)).toBe(0x00100002);
      expect(t.read32(R.EIMC)).toBe(0);
      t.write32(R.GPIE, R.GPIE_MSIX_MODE | R.GPIE_OCD);
      t.write32(R.EICS, 0x00000005);
      expect(t.read32(R.EICR) & 0xffff).toBe(5);
      expect(t.read32(R.EICR) & 0xffff).toBe(5); // MSI-X mode: queue bits survive a read
      t.write32(R.EICR, 0x4);
      expect(t.read32(R.EICR) & 0xffff).toBe(1);
      t.write32(R.GPIE, 0); // legacy: a read fetches and clears
      t.write32(R.EICS, R.EICR_TCP_TIMER); // an "other" cause set by software
      expect(t.read32(R.EICR)).toBe((R.EICR_TCP_TIMER | 1) >>> 0);
      expect(t.read32(R.EICR)).toBe(0);
    });

    test("a link reset (CTRL.LRST alone) is a device reset: PCIe Master Disable and the rest back to defaults", () => {
      // Linux's ixgbe stops the adapter (Master Disable set), then resets with LRST alone while
      // the link is down and never clears Master Disable itself.
      resetDevice(t);
      t.write32(R.RDBAL(0), 0x12340000);
      t.write32(R.CTRL, R.CTRL_PCIE_MASTER_DISABLE);
      waitFor(t, R.STATUS, R.STATUS_PCIE_MASTER_ENABLE_STATUS, 0);
      t.write32(R.CTRL, R.CTRL_PCIE_MASTER_DISABLE | R.CTRL_LRST);
      waitFor(t, R.CTRL, R.CTRL_RST_MASK, 0);
      waitFor(t, R.RDRXCTL, R.RDRXCTL_DMAIDONE, R.RDRXCTL_DMAIDONE);
      expect(t.read32(R.CTRL)).toBe(0);
      expect(t.read32(R.STATUS) & R.STATUS_PCIE_MASTER_ENABLE_STATUS).toBe(
        R.STATUS_PCIE_MASTER_ENABLE_STATUS,
      );
      expect(t.read32(R.RDBAL(0))).toBe(0);
    });

    test("FDIRCTRL.INIT_DONE reads 1 once a Flow Director table is sized, 0 while it is off", () => {
      resetDevice(t);
      expect(t.read32(FDIRCTRL) & FDIRCTRL_INIT_DONE).toBe(0);
      t.write32(FDIRCTRL, 0x1); // PBALLOC 64 KiB, as Linux's ATR default
      waitFor(t, FDIRCTRL, FDIRCTRL_INIT_DONE, FDIRCTRL_INIT_DONE);
      t.write32(FDIRCTRL, 0);
      waitFor(t, FDIRCTRL, FDIRCTRL_INIT_DONE, 0);
    });

    test("an EICS read returns EICR's causes without clearing them; an EICR write clears", () => {
      // Linux's and FreeBSD's "other" interrupt handlers read EICS to get the causes and clear
      // them with an EICR write (their errata note); with GPIE.OCD clear, an EICR read in MSI-X
      // mode would clear the other causes instead.
      resetDevice(t);
      t.write32(R.GPIE, R.GPIE_MSIX_MODE);
      t.write32(R.EICS, R.EICR_TCP_TIMER | 0x2);
      const causes = (R.EICR_TCP_TIMER | 0x2) >>> 0;
      expect(t.read32(R.EICS)).toBe(causes);
      expect(t.read32(R.EICS)).toBe(causes); // no clearing on this read
      t.write32(R.EICR, R.EICR_TCP_TIMER);
      expect(t.read32(R.EICS)).toBe(0x2);
      t.write32(R.EICR, 0x2);
      expect(t.read32(R.EICS)).toBe(0);
    });

    test("link comes up after AN restart with 10G speed and an LSC cause", () => {
      resetDevice(t);
      t.read32(R.EICR);
      t.write32(R.AUTOC, t.read32(R.AUTOC) | R.AUTOC_AN_RESTART);
      expect(t.read32(R.AUTOC) & R.AUTOC_AN_RESTART).toBe(0); // self-clearing
      expect(t.read32(R.LINKS) & R.LINKS_UP).toBe(0);
      bringLinkUp(t);
      const links = t.read32(R.LINKS);
      expect(links & R.LINKS_SPEED_MASK).toBe(R.LINKS_SPEED_10G);
      expect(t.read32(R.STATUS) & R.STATUS_LINK_UP).toBe(R.STATUS_LINK_UP);
      expect(t.read32(R.EICR) & R.EICR_LSC).toBe(R.EICR_LSC);
    });

    test("link down/up on demand: LSC, latched-low LINKS bit 7, MSI-X other vector", () => {
      resetDevice(t);
      bringLinkUp(t);
      t.write32(R.GPIE, R.GPIE_MSIX_MODE | R.GPIE_OCD | R.GPIE_PBA_SUPPORT);
      t.write32(R.IVAR_MISC, 0x8000 | (5 << 8)); // other causes -> vector 5
      t.write32(R.EICR, 0xffffffff);
      t.write32(R.EIMS, R.EICR_LSC);
      t.irqs.length = 0;
      t.control.linkDown();
      expect(t.read32(R.LINKS) & R.LINKS_UP).toBe(0);
      expect(t.irqs).toEqual([5]);
      t.advanceMs(100);
      expect(t.read32(R.LINKS) & R.LINKS_UP).toBe(0); // the cable is out: stays down
      t.control.linkUp();
      t.run();
      expect(t.read32(R.EICR) & R.EICR_LSC).toBe(R.EICR_LSC);
      expect(t.irqs).toEqual([5, 5]);
      expect(t.read32(R.LINKS) & R.LINKS_LINK_STATUS).toBe(0); // latched low once
      expect(t.read32(R.LINKS) & R.LINKS_LINK_STATUS).toBe(R.LINKS_LINK_STATUS);
      expect(t.control.stats().link.up).toBe(true);
    });
  });
}
