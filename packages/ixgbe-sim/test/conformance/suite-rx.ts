/*
 * Conformance: the receive path. Descriptors are written by hand in host memory; frames come
 * from the wire; the tests check buffers, write-backs, head movement, filters and drops.
 */
import { afterEach, beforeEach, expect } from "bun:test";
import * as R from "@dataplane/ixgbe/regs";
import { BCAST, initPort, iova, LAYOUT, OTHER_MAC, PORT_MAC, rawFrame, setupRx } from "./host.ts";
import { describe, test } from "./skip.ts";
import type { ConformanceTarget, TargetFactory } from "./target.ts";

const DD = R.RXDADV_STAT_DD;
const EOP = R.RXDADV_STAT_EOP;

/** Registers the RX tests for targets made by `make`. */
export function registerRxTests(name: string, make: TargetFactory): void {
  describe(`${name}: receive`, () => {
    let t: ConformanceTarget;
    beforeEach(() => {
      t = make({ linkUpDelayMs: 1 });
      initPort(t);
    });
    afterEach(() => t.close());

    test("a frame lands in the next descriptor: data, PKT_LEN, DD|EOP, RDH moves", () => {
      const rx = setupRx(t, 0, { count: 16 });
      const f = rawFrame(100);
      t.inject(f);
      t.run();
      expect(rx.status(0) & (DD | EOP)).toBe(DD | EOP);
      expect(rx.length(0)).toBe(100);
      expect(rx.data(0)).toEqual(f);
      expect(rx.head()).toBe(1);
      expect(rx.status(1) & DD).toBe(0);
    });

    test("no descriptor is used when RDH == RDT; frames then drop with DROP_EN (QPRDC by RQSMR)", () => {
      t.write32(R.RQSMR(0), 3); // queue 0 counts in slot 3
      const rx = setupRx(t, 0, { count: 8, give: 0 });
      t.write32(R.RXCTRL, 1);
      t.inject(rawFrame(60));
      t.inject(rawFrame(60));
      t.run();
      expect(rx.status(0) & DD).toBe(0);
      expect(rx.head()).toBe(0);
      const qprdc = t.read32(R.QPRDC(3));
      expect(qprdc).toBe(2);
      expect(t.read32(R.GPRC)).toBe(2); // counted at the MAC, then dropped at the queue
      expect(t.control.stats().rx.dropped.noDescriptor).toBe(2);
    });

    test("without DROP_EN a frame waits in the packet buffer (RNBC), then MPC when full", () => {
      t.write32(R.RXPBSIZE(0), 1 << R.RXPBSIZE_SHIFT); // 1 KiB packet buffer
      const rx = setupRx(t, 0, { count: 8, give: 0, dropEn: false });
      for (let i = 0; i < 20; i++) t.inject(rawFrame(100, PORT_MAC, i));
      t.run();
      expect(t.read32(R.RNBC(0))).toBe(1);
      const missed = t.read32(R.MPC(0));
      expect(missed).toBeGreaterThan(0);
      const held = 20 - missed;
      expect(held).toBe(t.control.stats().rx.waiting);
      expect(t.read32(R.GPRC)).toBe(20); // the 82599's GPRC counts missed frames too
      rx.setTail(7); // descriptors appear: held frames go out in arrival order
      t.run();
      expect(rx.head()).toBe(7);
      expect(rx.data(0)).toEqual(rawFrame(100, PORT_MAC, 0));
      expect(rx.data(1)).toEqual(rawFrame(100, PORT_MAC, 1));
      expect(t.read32(R.EICR) & R.EICR_RX_MISS).toBe(R.EICR_RX_MISS);
    });

    test("descriptors are fetched when the tail moves: a rewrite after the tail bump is not seen", () => {
      const rx = setupRx(t, 0, { count: 8, give: 2 }); // descriptors 0 and 1 handed over
      const [lo, hi] = iova(t, rx.bufOff(5));
      const d0 = LAYOUT.rxRing(0) >>> 2;
      t.mem32[d0] = lo; // too late: the device fetched descriptor 0 at the tail bump
      t.mem32[d0 + 1] = hi;
      const d2 = d0 + 2 * 4;
      t.mem32[d2] = lo; // descriptor 2 is still the driver's: this rewrite counts
      t.mem32[d2 + 1] = hi;
      rx.setTail(3);
      t.run();
      for (let i = 0; i < 3; i++) t.inject(rawFrame(60, PORT_MAC, i));
      t.run();
      expect(rx.head()).toBe(3);
      expect(rx.data(0)).toEqual(rawFrame(60, PORT_MAC, 0)); // the fetched address
      expect(t.mem.slice(rx.bufOff(5), rx.bufOff(5) + 60)).toEqual(rawFrame(60, PORT_MAC, 2));
    });

    test("ring wrap-around over several laps with the tail trailing by one", () => {
      const count = 8;
      const rx = setupRx(t, 0, { count });
      let next = 0;
      for (let n = 0; n < 30; n++) {
        t.inject(rawFrame(64 + n, PORT_MAC, n));
        t.run();
        expect(rx.status(next) & DD).toBe(DD);
        expect(rx.data(next)).toEqual(rawFrame(64 + n, PORT_MAC, n));
        rx.arm(next);
        rx.setTail(next); // give the slot back
        next = (next + 1) % count;
      }
      expect(rx.head()).toBe(30 % count);
    });

    test("legacy descriptors keep the buffer address and carry length and status", () => {
      const rx = setupRx(t, 0, { count: 8, advanced: false });
      const lo = rx.descWord(0, 0);
      t.inject(rawFrame(80));
      t.run();
      expect(rx.descWord(0, 0)).toBe(lo);
      expect(rx.status(0) & (DD | EOP)).toBe(DD | EOP);
      expect(rx.length(0)).toBe(80);
    });

    test("a jumbo frame chains over descriptors; EOP only on the last", () => {
      t.write32(R.HLREG0, t.read32(R.HLREG0) | R.HLREG0_JUMBOEN);
      t.write32(R.MAXFRS, 9018 << R.MAXFRS_MFS_SHIFT);
      const rx = setupRx(t, 0, { count: 16, bufKiB: 2 });
      const f = rawFrame(5000);
      t.inject(f);
      t.run();
      expect([rx.status(0) & 3, rx.status(1) & 3, rx.status(2) & 3]).toEqual([DD, DD, DD | EOP]);
      expect([rx.length(0), rx.length(1), rx.length(2)]).toEqual([2048, 2048, 904]);
      const got = new Uint8Array([...rx.data(0), ...rx.data(1), ...rx.data(2)]);
      expect(got).toEqual(f);
      expect(rx.head()).toBe(3);
    });

    test("oversize and undersize frames are dropped and counted in ROC/RUC, not RLEC", () => {
      setupRx(t, 0);
      t.inject(rawFrame(1600)); // > 1518 with FCS, JUMBOEN off
      t.inject(rawFrame(40)); // < 64 with FCS
      t.inject(rawFrame(1514)); // exactly 1518 on the wire: fine
      t.run();
      expect(t.read32(R.ROC)).toBe(1);
      expect(t.read32(R.RUC)).toBe(1);
      expect(t.read32(R.RLEC)).toBe(0);
      expect(t.read32(R.GPRC)).toBe(1);
    });

    test("RLEC counts 802.3 length-field errors (HLREG0.RXLNGTHERREN), padding allowed", () => {
      const rx = setupRx(t, 0, { count: 8 });
      const frame802 = (len: number, field: number) => {
        const f = rawFrame(len);
        f[12] = field >>> 8;
        f[13] = field & 0xff;
        return f;
      };
      t.inject(frame802(60, 20)); // 46-byte payload padded from 20: fine
      t.inject(frame802(114, 100)); // 100-byte payload: fine
      t.inject(frame802(60, 200)); // says 200, carries 46: length error
      t.inject(frame802(214, 100)); // says 100, carries 200: length error
      t.run();
      expect(t.read32(R.RLEC)).toBe(2);
      expect(rx.head()).toBe(4); // counted, still delivered
      t.write32(R.HLREG0, t.read32(R.HLREG0) & ~R.HLREG0_RXLNGTHERREN);
      t.run();
      const before = t.read32(R.RLEC); // 0 after the clear-on-read above; 2 where it runs free
      t.inject(frame802(60, 200));
      t.run();
      expect(t.read32(R.RLEC)).toBe(before);
    });

    test("L2 filter: exact unicast, broadcast with BAM, multicast with MPE, UPE for the rest", () => {
      const rx = setupRx(t, 0, { count: 32 });
      const mcast = [0x01, 0x00, 0x5e, 0x00, 0x00, 0x01];
      t.write32(R.FCTRL, 0);
      for (const dst of [PORT_MAC, OTHER_MAC, BCAST, mcast]) t.inject(rawFrame(60, dst));
      t.run();
      expect(rx.head()).toBe(1); // only the exact match
      expect(t.control.stats().rx.dropped.filtered).toBe(3);
      t.write32(R.FCTRL, R.FCTRL_BAM);
      t.inject(rawFrame(60, BCAST));
      t.write32(R.FCTRL, R.FCTRL_BAM | R.FCTRL_MPE);
      t.run();
      t.inject(rawFrame(60, mcast));
      t.run();
      t.write32(R.FCTRL, R.FCTRL_UPE);
      t.inject(rawFrame(60, OTHER_MAC));
      t.run();
      expect(rx.head()).toBe(4);
      expect(rx.status(1) & R.RXDADV_STAT_PIF).toBe(R.RXDADV_STAT_PIF); // not an exact match
      expect(rx.status(0) & R.RXDADV_STAT_PIF).toBe(0);
      expect(t.read32(R.BPRC)).toBe(1);
      expect(t.read32(R.MPRC)).toBe(1);
      // Clearing AV turns the exact match off: ixy's set_mac_addr depends on UPE afterwards.
      t.write32(R.FCTRL, 0);
      t.write32(R.RAH(0), t.read32(R.RAH(0)) & 0xffff);
      t.inject(rawFrame(60, PORT_MAC));
      t.run();
      expect(rx.head()).toBe(4);
    });

    test("RX disabled or queue disabled: nothing is written", () => {
      const rx = setupRx(t, 0, { count: 8 });
      t.write32(R.RXCTRL, 0);
      t.inject(rawFrame(60));
      t.run();
      expect(t.read32(R.GPRC)).toBe(0); // not counted: the receive path took nothing
      t.write32(R.RXCTRL, 1);
      t.write32(R.RXDCTL(0), t.read32(R.RXDCTL(0)) & ~R.RXDCTL_ENABLE);
      expect(t.read32(R.RXDCTL(0)) & R.RXDCTL_ENABLE).toBe(0);
      t.inject(rawFrame(60));
      t.run();
      expect(rx.status(0) & DD).toBe(0);
      expect(t.control.stats().rx.dropped).toMatchObject({ rxDisabled: 1, queueDisabled: 1 });
    });

    test("CRC kept when stripping is off: buffer ends with the FCS, length + 4", () => {
      t.write32(R.HLREG0, t.read32(R.HLREG0) & ~R.HLREG0_RXCRCSTRP);
      t.write32(R.RDRXCTL, t.read32(R.RDRXCTL) & ~R.RDRXCTL_CRCSTRIP);
      const rx = setupRx(t, 0, { count: 8 });
      const f = rawFrame(60);
      t.inject(f);
      t.run();
      expect(rx.length(0)).toBe(64);
      const data = rx.data(0);
      expect(data.subarray(0, 60)).toEqual(f);
      const got = (data[60] | (data[61] << 8) | (data[62] << 16) | (data[63] << 24)) >>> 0;
      expect(got).toBe(fcs(f));
    });
  });
}

/** Independent bitwise CRC-32 for the check above. */
function fcs(b: Uint8Array): number {
  let c = 0xffffffff;
  for (const x of b) {
    c ^= x;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0xedb88320 : c >>> 1;
  }
  return (c ^ 0xffffffff) >>> 0;
}
