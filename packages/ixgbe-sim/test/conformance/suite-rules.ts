/*
 * Conformance: the datasheet rules the strict model enforces (src/model/rules.ts), one test per
 * rule showing the violation is caught (counted under its id, with the effect the rule names),
 * plus the strict behaviours that are not violations (reset timing, link bring-up, SECRX_RDY)
 * and a clean initialisation that breaks no rule. Every write is followed by run() before a
 * read-back, so the tests hold over shared memory (sysfs mode) too.
 */
import { afterEach, beforeEach, expect } from "bun:test";
import * as R from "@dataplane/ixgbe/regs";
import { RULES } from "../../src/model/rules.ts";
import {
  bringLinkUp,
  enableReceive,
  initPort,
  iova,
  LAYOUT,
  OTHER_MAC,
  rawFrame,
  resetDevice,
  setupRx,
  setupTx,
  waitFor,
} from "./host.ts";
import { describe, MTQC_RULE_TEST, RXEN_RULE_TEST, TAIL_RULE_TEST, test } from "./skip.ts";
import type { ConformanceTarget, TargetFactory } from "./target.ts";

/** Count of violations of rule `id` so far. */
function count(t: ConformanceTarget, id: string): number {
  return t.control.violations().rules.find((r) => r.rule === id)?.count ?? 0;
}

/** Rule ids broken so far. */
function broken(t: ConformanceTarget): string[] {
  return t.control.violations().rules.map((r) => r.rule);
}

/** Programs RX queue q's ring registers (not enabled) with the given length and base offset. */
function rxRing(t: ConformanceTarget, q: number, len: number, baseOff = LAYOUT.rxRing(q)): void {
  const [lo, hi] = iova(t, baseOff);
  t.write32(R.RDBAL(q), lo);
  t.write32(R.RDBAH(q), hi);
  t.write32(R.RDLEN(q), len);
  t.write32(R.RDH(q), 0);
  t.write32(R.RDT(q), 0);
}

/** Programs TX queue q's ring (TDT = `tail`), sets TXDCTL.ENABLE; returns whether it reads 1. */
function enableTx(t: ConformanceTarget, q: number, len: number, tail = 0): boolean {
  const [lo, hi] = iova(t, LAYOUT.txRing(q));
  t.write32(R.TDBAL(q), lo);
  t.write32(R.TDBAH(q), hi);
  t.write32(R.TDLEN(q), len);
  t.write32(R.TDT(q), tail);
  t.write32(R.TXDCTL(q), R.TXDCTL_ENABLE);
  t.run();
  return (t.read32(R.TXDCTL(q)) & R.TXDCTL_ENABLE) !== 0;
}

/** Sets RXDCTL.ENABLE, lets the device act, and returns whether ENABLE reads 1. */
function enableRx(t: ConformanceTarget, q: number): boolean {
  t.write32(R.RXDCTL(q), t.read32(R.RXDCTL(q)) | R.RXDCTL_ENABLE);
  t.run();
  return (t.read32(R.RXDCTL(q)) & R.RXDCTL_ENABLE) !== 0;
}

/** A clean init, then receive restarted (inside the handshake) with `bits` of RDRXCTL cleared. */
function restartReceiveClearing(t: ConformanceTarget, bits: number): void {
  initPort(t);
  enableReceive(t, false);
  t.write32(R.RDRXCTL, t.read32(R.RDRXCTL) & ~bits);
  t.run();
  enableReceive(t, true);
}

/** Registers one test per rule for targets made by `make`. */
export function registerRuleTests(name: string, make: TargetFactory): void {
  describe(`${name}: strict rules`, () => {
    let t: ConformanceTarget;
    beforeEach(() => {
      t = make({ linkUpDelayMs: 1 });
    });
    afterEach(() => t.close());

    test("every rule has a stable id and a datasheet section", () => {
      const ids = RULES.map((r) => r.id);
      expect(new Set(ids).size).toBe(ids.length);
      for (const r of RULES) {
        expect(r.id).toMatch(/^[a-z0-9]+(-[a-z0-9]+)*$/);
        expect(r.section.length).toBeGreaterThan(0);
      }
      expect(t.control.violations()).toMatchObject({ mode: "strict", total: 0, rules: [] });
    });

    test("a datasheet-conformant init and traffic break no rule", () => {
      initPort(t);
      t.write32(R.FCTRL, R.FCTRL_UPE | R.FCTRL_BAM);
      const rx = setupRx(t, 0, { count: 8 });
      const tx = setupTx(t, 0, 8);
      t.inject(rawFrame(60, OTHER_MAC, 1));
      tx.frame(rawFrame(60, OTHER_MAC, 2));
      tx.kick();
      t.run();
      expect(rx.data(0)).toEqual(rawFrame(60, OTHER_MAC, 1));
      expect(t.sent()).toEqual([rawFrame(60, OTHER_MAC, 2)]);
      expect(t.control.violations()).toMatchObject({ total: 0, rules: [] });
    });

    test("write-during-reset: CTRL.RST reads 1 for ~1 ms, registers read in-reset values, writes are refused", () => {
      resetDevice(t);
      t.write32(R.EIMS, 0x10);
      t.run();
      t.write32(R.CTRL, R.CTRL_RST);
      t.run();
      expect(t.read32(R.CTRL) & R.CTRL_RST).toBe(R.CTRL_RST);
      expect(t.read32(R.EEC) & R.EEC_ARD).toBe(0);
      expect(t.read32(R.RDRXCTL) & R.RDRXCTL_DMAIDONE).toBe(0);
      expect(t.read32(R.EIMS)).toBe(0);
      t.write32(R.EIMS, 0x20);
      t.run();
      expect(count(t, "write-during-reset")).toBe(1);
      waitFor(t, R.CTRL, R.CTRL_RST, 0);
      expect(t.read32(R.EIMS)).toBe(0); // the write made during the reset did not take
      waitFor(t, R.EEC, R.EEC_ARD, R.EEC_ARD);
      waitFor(t, R.RDRXCTL, R.RDRXCTL_DMAIDONE, R.RDRXCTL_DMAIDONE);
      expect(broken(t)).toEqual(["write-during-reset"]);
    });

    test("RDRXCTL.DMAIDONE is set by the DMA init only, never by a write", () => {
      resetDevice(t);
      t.write32(R.CTRL, R.CTRL_RST);
      t.run();
      waitFor(t, R.CTRL, R.CTRL_RST, 0);
      expect(t.read32(R.RDRXCTL) & R.RDRXCTL_DMAIDONE).toBe(0); // DMA init still running
      t.write32(R.RDRXCTL, t.read32(R.RDRXCTL) | R.RDRXCTL_DMAIDONE);
      t.run();
      expect(t.read32(R.RDRXCTL) & R.RDRXCTL_DMAIDONE).toBe(0);
      waitFor(t, R.RDRXCTL, R.RDRXCTL_DMAIDONE, R.RDRXCTL_DMAIDONE);
      expect(t.control.violations().total).toBe(0);
    });

    test("queue-enable-bad-ring: RDLEN/TDLEN 0 or not 128-byte multiples, unaligned base: ENABLE reads 0", () => {
      initPort(t);
      rxRing(t, 0, 0);
      expect(enableRx(t, 0)).toBe(false);
      rxRing(t, 1, 100);
      expect(enableRx(t, 1)).toBe(false);
      rxRing(t, 2, 128, LAYOUT.rxRing(2) + 0x40);
      expect(enableRx(t, 2)).toBe(false);
      expect(enableTx(t, 0, 64)).toBe(false);
      expect(count(t, "queue-enable-bad-ring")).toBe(4);
      rxRing(t, 3, 128);
      expect(enableRx(t, 3)).toBe(true); // a good ring still enables
      expect(broken(t)).toEqual(["queue-enable-bad-ring"]);
    });

    test("tx-enable-before-te: TXDCTL.ENABLE before DMATXCTL.TE reads 0", () => {
      resetDevice(t);
      expect(enableTx(t, 0, 1024)).toBe(false);
      expect(broken(t)).toEqual(["tx-enable-before-te"]);
      t.write32(R.DMATXCTL, R.DMATXCTL_TE);
      t.write32(R.TXDCTL(0), R.TXDCTL_ENABLE);
      t.run();
      expect(t.read32(R.TXDCTL(0)) & R.TXDCTL_ENABLE).toBe(R.TXDCTL_ENABLE);
    });

    test("srrctl-bsizepacket-zero: no receive buffer size is a configuration error, ENABLE reads 0", () => {
      initPort(t);
      t.write32(R.SRRCTL(0), t.read32(R.SRRCTL(0)) & ~R.SRRCTL_BSIZEPACKET_MASK);
      t.run();
      rxRing(t, 0, 1024);
      expect(enableRx(t, 0)).toBe(false);
      expect(broken(t)).toEqual(["srrctl-bsizepacket-zero"]);
    });

    test("crc-strip-mismatch: HLREG0.RXCRCSTRP and RDRXCTL.CRCSTRIP must agree when receive starts", () => {
      restartReceiveClearing(t, R.RDRXCTL_CRCSTRIP);
      expect(broken(t)).toEqual(["crc-strip-mismatch"]);
    });

    test("rdrxctl-required-bits: RSCACKC and FCOE_WRFIX set, RSCFRSTSIZE 0 before receive starts", () => {
      restartReceiveClearing(t, R.RDRXCTL_FCOE_WRFIX);
      expect(broken(t)).toEqual(["rdrxctl-required-bits"]);
    });

    test(RXEN_RULE_TEST, () => {
      initPort(t);
      t.run(); // the handshake of initPort is over
      expect(t.control.violations().total).toBe(0);
      t.write32(R.RXCTRL, 0);
      t.run();
      expect(count(t, "rxen-without-secrx-rx-dis")).toBe(1);
      t.write32(R.RXCTRL, R.RXCTRL_RXEN);
      t.run();
      expect(broken(t)).toEqual(["rxen-without-secrx-rx-dis"]);
      expect(count(t, "rxen-without-secrx-rx-dis")).toBe(2);
    });

    test("SECRXSTAT.SECRX_RDY reads 1 only while RX_DIS halts receive; frames wait for it to clear", () => {
      initPort(t);
      t.write32(R.FCTRL, R.FCTRL_UPE | R.FCTRL_BAM);
      const rx = setupRx(t, 0, { count: 8 });
      expect(t.read32(R.SECRXSTAT) & R.SECRXSTAT_SECRX_RDY).toBe(0);
      t.write32(R.SECRXCTRL, R.SECRXCTRL_RX_DIS);
      t.run();
      expect(t.read32(R.SECRXSTAT) & R.SECRXSTAT_SECRX_RDY).toBe(1);
      t.inject(rawFrame(60, OTHER_MAC, 1));
      t.run();
      expect(rx.head()).toBe(0); // halted
      t.write32(R.SECRXCTRL, 0);
      t.run();
      t.inject(rawFrame(60, OTHER_MAC, 2));
      t.run();
      expect(rx.head()).toBe(1);
      expect(rx.data(0)).toEqual(rawFrame(60, OTHER_MAC, 2));
      expect(t.control.violations().total).toBe(0);
    });

    test(MTQC_RULE_TEST, () => {
      initPort(t);
      t.write32(R.DMATXCTL, 0); // MTQC changes with the transmit path idle
      t.write32(R.RTTDCS, t.read32(R.RTTDCS) | R.RTTDCS_ARBDIS);
      t.write32(R.MTQC, R.MTQC_64Q_1PB);
      t.write32(R.RTTDCS, t.read32(R.RTTDCS) & ~R.RTTDCS_ARBDIS);
      t.run();
      expect(t.control.violations().total).toBe(0);
      t.write32(R.MTQC, R.MTQC_64Q_1PB);
      t.run();
      expect(broken(t)).toEqual(["mtqc-without-arbdis"]);
    });

    test(TAIL_RULE_TEST, () => {
      initPort(t);
      rxRing(t, 0, 1024);
      t.write32(R.RDT(0), 5);
      t.run();
      expect(enableRx(t, 0)).toBe(true); // reported, not refused
      enableTx(t, 0, 1024, 3);
      expect(broken(t)).toEqual(["rx-tail-before-enable", "tx-tail-before-enable"]);
      const first = t.control.violations().rules[0];
      expect(first?.detail).toContain("queue 0");
      expect(first?.section).toContain("4.6.7");
    });

    test("link: 10G only after AUTOC.Restart_AN in 10G serial; other link modes never train", () => {
      resetDevice(t);
      t.advanceMs(5);
      expect(t.read32(R.LINKS) & R.LINKS_UP).toBe(0); // no AN restart since the reset
      const autoc = t.read32(R.AUTOC) & ~R.AUTOC_LMS_MASK;
      t.write32(R.AUTOC, autoc | R.AUTOC_LMS_KX4_KX_KR | R.AUTOC_AN_RESTART);
      t.run();
      t.advanceMs(5);
      expect(t.read32(R.LINKS) & R.LINKS_UP).toBe(0); // backplane AN does not train on SFI
      bringLinkUp(t);
      const links = t.read32(R.LINKS);
      expect(links & R.LINKS_SPEED_MASK).toBe(R.LINKS_SPEED_10G);
      expect(t.control.violations().total).toBe(0);
    });
  });
}
