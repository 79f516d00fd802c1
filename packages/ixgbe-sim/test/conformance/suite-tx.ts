/*
 * Conformance: the transmit path, statistics exactness and interrupts from traffic.
 */
import { afterEach, beforeEach, expect } from "bun:test";
import * as R from "@dataplane/ixgbe/regs";
import { BCAST, initPort, iova, LAYOUT, OTHER_MAC, rawFrame, setupRx, setupTx } from "./host.ts";
import { describe, test } from "./skip.ts";
import type { ConformanceTarget, TargetFactory } from "./target.ts";

const CMD = R.ADVTXD_CMD_SINGLE;

/** Registers the TX, statistics and interrupt tests for targets made by `make`. */
export function registerTxTests(name: string, make: TargetFactory): void {
  describe(`${name}: transmit, statistics, interrupts`, () => {
    let t: ConformanceTarget;
    beforeEach(() => {
      t = make({ linkUpDelayMs: 1 });
      initPort(t);
    });
    afterEach(() => t.close());

    test("frames go out in order; TDH advances; DD only where RS is set", () => {
      const tx = setupTx(t, 0, 16);
      const a = rawFrame(100, OTHER_MAC, 1);
      const b = rawFrame(200, OTHER_MAC, 2);
      const ia = tx.frame(a, CMD & ~R.ADVTXD_DCMD_RS);
      const ib = tx.frame(b);
      tx.kick();
      t.run();
      expect(t.sent()).toEqual([a, b]);
      expect(t.read32(R.TDH(0))).toBe(2);
      expect(tx.dd(ia)).toBe(false);
      expect(tx.dd(ib)).toBe(true);
    });

    test("nothing moves without TE, before the tail moves, or when TDT is rewritten unchanged", () => {
      const tx = setupTx(t, 0, 16);
      tx.frame(rawFrame(60));
      t.run();
      expect(t.sent()).toEqual([]); // TDT not moved
      t.write32(R.DMATXCTL, 0);
      tx.kick();
      t.run();
      expect(t.sent()).toEqual([]);
      t.write32(R.DMATXCTL, R.DMATXCTL_TE);
      t.run();
      expect(t.sent().length).toBe(1);
      tx.kick();
      t.run();
      expect(t.sent()).toEqual([]);
    });

    test("short frames are padded to 60 bytes (64 with FCS) and counted so", () => {
      const tx = setupTx(t, 0, 16);
      const f = rawFrame(42, OTHER_MAC);
      tx.frame(f);
      tx.kick();
      t.run();
      const [out] = t.sent();
      expect(out?.length).toBe(60);
      expect(out?.subarray(0, 42)).toEqual(f);
      expect(out?.subarray(42)).toEqual(new Uint8Array(18));
      expect(t.read32(R.GOTCL)).toBe(64);
      expect(t.read32(R.PTC64)).toBe(1);
    });

    test("a frame gathered from three descriptors; sent only when EOP is inside TDT", () => {
      const tx = setupTx(t, 0, 16);
      const f = rawFrame(3000, OTHER_MAC);
      t.write32(R.HLREG0, t.read32(R.HLREG0) | R.HLREG0_JUMBOEN);
      t.write32(R.MAXFRS, 9018 << 16);
      const base = R.ADVTXD_DCMD_DEXT | R.ADVTXD_DTYP_DATA | R.ADVTXD_DCMD_IFCS;
      tx.put(tx.buffer(f.subarray(0, 1000)), 1000, base, 3000);
      tx.put(tx.buffer(f.subarray(1000, 2000)), 1000, base, 0);
      tx.kick(); // EOP not yet visible
      t.run();
      expect(t.sent()).toEqual([]);
      tx.put(tx.buffer(f.subarray(2000)), 1000, base | R.ADVTXD_DCMD_EOP | R.ADVTXD_DCMD_RS, 0);
      tx.kick();
      t.run();
      expect(t.sent()).toEqual([f]);
      expect(t.read32(R.TDH(0))).toBe(3);
    });

    test("WTHRESH > 0: write-back batched, every descriptor of a batch gets DD (RS ignored); SWFLSH flushes", () => {
      const tx = setupTx(t, 0, 16, 3);
      const noRs = R.ADVTXD_CMD_SINGLE & ~R.ADVTXD_DCMD_RS;
      tx.frame(rawFrame(60, OTHER_MAC, 1));
      tx.frame(rawFrame(60, OTHER_MAC, 2), noRs);
      tx.kick();
      t.run();
      expect(t.sent().length).toBe(2);
      expect([tx.dd(0), tx.dd(1)]).toEqual([false, false]); // 2 of 3: nothing written back yet
      tx.frame(rawFrame(60, OTHER_MAC, 3), noRs);
      tx.frame(rawFrame(60, OTHER_MAC, 4));
      tx.kick();
      t.run();
      expect([tx.dd(0), tx.dd(1), tx.dd(2), tx.dd(3)]).toEqual([true, true, true, false]);
      t.write32(R.TXDCTL(0), t.read32(R.TXDCTL(0)) | R.TXDCTL_SWFLSH);
      t.run();
      expect(tx.dd(3)).toBe(true);
      expect(t.read32(R.TXDCTL(0)) & R.TXDCTL_SWFLSH).toBe(0);
    });

    test("TX ring wrap-around and head write-back instead of DD", () => {
      const tx = setupTx(t, 0, 8);
      const [lo, hi] = iova(t, LAYOUT.headWb);
      t.write32(R.TDWBAH(0), hi);
      t.write32(R.TDWBAL(0), lo | R.TDWBAL_HEAD_WB_EN);
      for (let n = 0; n < 20; n++) {
        tx.frame(rawFrame(60 + n, OTHER_MAC, n));
        tx.kick();
        t.run();
        expect(t.sent()).toEqual([rawFrame(60 + n, OTHER_MAC, n)]);
        expect(t.mem32[LAYOUT.headWb >>> 2]).toBe((n + 1) % 8);
      }
      expect(tx.dd(0)).toBe(false); // head write-back replaces DD
    });

    test("statistics are exact: GPRC, GORC/TOR without the stripped CRC, size bins, broadcast, per-queue slots", () => {
      t.write32(R.TQSM(0), 5 << 16); // TX queue 2 -> slot 5
      const rx = setupRx(t, 0, { count: 32 });
      const sizes = [60, 100, 200, 300, 600, 1514];
      for (const s of sizes) t.inject(rawFrame(s));
      t.inject(rawFrame(60, BCAST));
      t.run();
      expect(rx.head()).toBe(7);
      expect(t.read32(R.GPRC)).toBe(7);
      expect(t.read32(R.GPRC)).toBe(0); // clear-on-read
      const octets = sizes.reduce((a, s) => a + s, 0) + 60; // CRC stripped: not counted
      expect(t.read32(R.GORCL)).toBe(octets);
      expect(t.read32(R.GORCH)).toBe(0);
      expect(t.read32(R.TPR)).toBe(7);
      expect(t.read32(R.TORL)).toBe(octets);
      expect(t.read32(R.BPRC)).toBe(1);
      const bins = [R.PRC64, R.PRC127, R.PRC255, R.PRC511, R.PRC1023, R.PRC1522].map((o) =>
        t.read32(o),
      );
      expect(bins).toEqual([2, 1, 1, 1, 1, 1]);
      if (t.traits.queuePageStatsClearOnRead) {
        expect(t.read32(R.QPRC(0))).toBe(7);
        expect(t.read32(R.QBRC_L(0))).toBe(octets); // bytes written to host, FCS stripped
      } else {
        t.run();
        expect(t.read32(R.QPRC(0))).toBe(7); // free-running in mapped memory
      }
      const tx = setupTx(t, 2, 16);
      tx.frame(rawFrame(60, OTHER_MAC));
      tx.frame(rawFrame(1000, OTHER_MAC));
      tx.kick();
      t.run();
      expect(t.read32(R.GPTC)).toBe(2);
      expect(t.read32(R.GOTCL)).toBe(64 + 1004);
      expect(t.read32(R.TPT)).toBe(2);
      expect(t.read32(R.QPTC(5))).toBe(2);
      expect(t.read32(R.QBTC_L(5))).toBe(1060);
      expect(t.read32(R.QPTC(0))).toBe(0);
    });

    test("MSI-X: IVAR routes queue causes, EIAC auto-clears, EITR spaces firings", () => {
      t.write32(R.GPIE, R.GPIE_MSIX_MODE | R.GPIE_PBA_SUPPORT | R.GPIE_EIAME);
      t.write32(R.IVAR(0), R.IVAR_ALLOC_VAL | 3); // RX queue 0 -> vector 3
      t.write32(R.EIAC, 0xffff);
      t.write32(R.EITR(3), 0x028); // ~10 us
      t.write32(R.EIMS, 1 << 3);
      const rx = setupRx(t, 0, { count: 32 });
      t.irqs.length = 0;
      t.inject(rawFrame(60));
      t.run();
      expect(t.irqs).toEqual([3]);
      expect(t.read32(R.EICR) & 0xffff).toBe(0); // auto-cleared by EIAC
      t.inject(rawFrame(60));
      t.run(); // 1 us later: inside the EITR gap
      expect(t.irqs).toEqual([3]);
      t.advanceMs(1);
      expect(t.irqs).toEqual([3, 3]); // delivered once the gap passed
      expect(rx.head()).toBe(2);
      // EIAM with EIAME: auto-mask on firing
      t.write32(R.EIAM, 1 << 3);
      t.advanceMs(1);
      t.inject(rawFrame(60));
      t.advanceMs(1);
      expect(t.irqs).toEqual([3, 3, 3]);
      expect(t.read32(R.EIMS) & (1 << 3)).toBe(0);
    });

    test("WTHRESH > 0: the queue's vector firing writes the batch back when its EITR is set, not with ITR 0", () => {
      // Linux's ixgbe sets WTHRESH 8 with interrupt throttling on and sends one ARP: the batch
      // never fills, the throttle timer's expiry writes it back (its TX hang check relies on it).
      t.write32(R.GPIE, R.GPIE_MSIX_MODE | R.GPIE_PBA_SUPPORT | R.GPIE_EIAME);
      t.write32(R.IVAR(0), (R.IVAR_ALLOC_VAL | 1) << 8); // TX queue 0 -> vector 1
      t.write32(R.EIAC, 0xffff);
      t.write32(R.EIMS, 1 << 1);
      const tx = setupTx(t, 0, 16, 8);
      t.irqs.length = 0;
      tx.frame(rawFrame(60, OTHER_MAC, 1)); // EITR(1) is 0: fires at once, nothing written back
      tx.kick();
      t.run();
      expect(t.irqs).toEqual([1]);
      expect(tx.dd(0)).toBe(false);
      t.write32(R.EITR(1), 0x028);
      tx.frame(rawFrame(60, OTHER_MAC, 2), R.ADVTXD_CMD_SINGLE & ~R.ADVTXD_DCMD_RS);
      tx.kick();
      t.advanceMs(1);
      expect(t.irqs).toEqual([1, 1]);
      expect([tx.dd(0), tx.dd(1)]).toEqual([true, true]); // the whole batch, RS or not
      t.write32(R.EIMC, 1 << 1); // masked: the vector does not fire, the batch waits
      tx.frame(rawFrame(60, OTHER_MAC, 3));
      tx.kick();
      t.advanceMs(1);
      expect(t.irqs).toEqual([1, 1]);
      expect(tx.dd(2)).toBe(false);
      t.write32(R.EIMS, 1 << 1); // unmasked: the latched cause fires and the batch goes out
      t.advanceMs(1);
      expect(t.irqs).toEqual([1, 1, 1]);
      expect(tx.dd(2)).toBe(true);
    });

    test("MSI/INTx mode: one vector, IVAR picks the EICR bit, EICR read clears", () => {
      t.write32(R.IVAR(0), R.IVAR_ALLOC_VAL | 2);
      t.write32(R.EIMS, 1 << 2);
      setupRx(t, 0, { count: 32 });
      t.read32(R.EICR); // drop the LSC cause from link bring-up
      t.irqs.length = 0;
      t.inject(rawFrame(60));
      t.run();
      expect(t.irqs).toEqual([0]);
      expect(t.read32(R.EICR)).toBe(1 << 2);
      expect(t.read32(R.EICR)).toBe(0);
      t.write32(R.EIMC, 1 << 2);
      t.inject(rawFrame(60));
      t.run();
      expect(t.irqs).toEqual([0]); // masked: latched only
      expect(t.read32(R.EICR)).toBe(1 << 2);
    });
  });
}
