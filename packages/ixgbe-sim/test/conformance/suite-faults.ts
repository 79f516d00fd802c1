/*
 * Conformance: RSS queue choice against the published verification vectors, injected and real
 * faults (DMA, malformed descriptors, CRC errors) and a device reset in the middle of traffic.
 */
import { afterEach, beforeEach, expect } from "bun:test";
import * as R from "@dataplane/ixgbe/regs";
import {
  initPort,
  ipv4Frame,
  ipv6TcpFrame,
  OTHER_MAC,
  type RxRing,
  rawFrame,
  setupRx,
  setupTx,
  waitFor,
} from "./host.ts";
import { describe, test } from "./skip.ts";
import type { ConformanceTarget, TargetFactory } from "./target.ts";

const KEY = [
  0x6d, 0x5a, 0x56, 0xda, 0x25, 0x5b, 0x0e, 0xc2, 0x41, 0x67, 0x25, 0x3d, 0x43, 0xa3, 0x8f, 0xb0,
  0xd0, 0xca, 0x2b, 0xcb, 0xae, 0x7b, 0x30, 0xb4, 0x77, 0xcb, 0x2d, 0xa3, 0x80, 0x30, 0xf2, 0x0c,
  0x6a, 0x42, 0xb7, 0x3b, 0xbe, 0xac, 0x01, 0xfa,
];
/** [src, dst, sport, dport, ipv4 hash, tcp hash] from the Microsoft verification suite. */
const V4: [string, string, number, number, number, number][] = [
  ["66.9.149.187", "161.142.100.80", 2794, 1766, 0x323e8fc2, 0x51ccc178],
  ["199.92.111.2", "65.69.140.83", 14230, 4739, 0xd718262a, 0xc626b0ea],
  ["24.19.198.95", "12.22.207.184", 12898, 38024, 0xd2d0a5de, 0x5c2b394a],
  ["38.27.205.30", "209.142.163.6", 48228, 2217, 0x82989176, 0xafc7327f],
  ["153.39.163.191", "202.188.127.2", 44251, 1303, 0x5d1809c5, 0x10e828a2],
];

function programRss(t: ConformanceTarget, mrqc: number, queues: number): void {
  for (let n = 0; n < 10; n++) {
    const k = KEY.slice(4 * n, 4 * n + 4) as [number, number, number, number];
    t.write32(R.RSSRK(n), (k[0] | (k[1] << 8) | (k[2] << 16) | (k[3] << 24)) >>> 0);
  }
  for (let n = 0; n < 32; n++) {
    let v = 0;
    for (let k = 0; k < 4; k++) v |= ((4 * n + k) % queues) << (8 * k);
    t.write32(R.RETA_ALIAS(n), v >>> 0);
  }
  t.write32(R.RXCSUM, R.RXCSUM_PCSD);
  t.write32(R.MRQC, mrqc);
}

/** Registers the RSS, fault and reset tests for targets made by `make`. */
export function registerFaultTests(name: string, make: TargetFactory): void {
  describe(`${name}: RSS, faults, reset`, () => {
    let t: ConformanceTarget;
    beforeEach(() => {
      t = make({ linkUpDelayMs: 1 });
      initPort(t);
      t.write32(R.FCTRL, R.FCTRL_UPE | R.FCTRL_MPE | R.FCTRL_BAM);
    });
    afterEach(() => t.close());

    test("RSS: Toeplitz hash of the verification vectors, queue = RETA[hash & 0x7f]", () => {
      programRss(
        t,
        R.MRQC_RSSEN |
          R.MRQC_RSS_FIELD_IPV4_TCP |
          R.MRQC_RSS_FIELD_IPV4 |
          R.MRQC_RSS_FIELD_IPV6_TCP,
        4,
      );
      const rings: RxRing[] = [0, 1, 2, 3].map((q) => setupRx(t, q, { count: 16 }));
      const next = [0, 0, 0, 0];
      for (const [src, dst, sp, dp, ipHash, tcpHash] of V4) {
        for (const [proto, hash, type] of [
          [6, tcpHash, R.RXDADV_RSSTYPE_IPV4_TCP],
          [17, ipHash, R.RXDADV_RSSTYPE_IPV4], // UDP hashing off: falls back to the IPv4 hash
        ] as const) {
          t.inject(ipv4Frame(src, dst, sp, dp, proto));
          t.run();
          const q = (hash & 0x7f) % 4;
          const ring = rings[q] as RxRing;
          const i = next[q]++ as number;
          expect(ring.status(i) & R.RXDADV_STAT_DD).toBe(R.RXDADV_STAT_DD);
          expect(ring.descWord(i, 1) >>> 0).toBe(hash >>> 0);
          expect(ring.descWord(i, 0) & R.RXDADV_RSSTYPE_MASK).toBe(type);
        }
      }
      t.inject(ipv6TcpFrame("3ffe:2501:200:1fff::7", "3ffe:2501:200:3::1", 2794, 1766));
      t.run();
      const q6 = (0x40207d3d & 0x7f) % 4;
      const ring6 = rings[q6] as RxRing;
      const i6 = next[q6] as number;
      expect(ring6.descWord(i6, 1) >>> 0).toBe(0x40207d3d);
      expect(ring6.descWord(i6, 0) & 0xf).toBe(R.RXDADV_RSSTYPE_IPV6_TCP);
    });

    test("DMA fault on an RX buffer: a lost posted write; descriptor written back, queue goes on", () => {
      const rx = setupRx(t, 0, { count: 8 });
      t.control.injectDmaFault({ targets: ["rx-buffer"] });
      t.inject(rawFrame(60, OTHER_MAC, 1));
      t.inject(rawFrame(60, OTHER_MAC, 2));
      t.run();
      // The card never learns of the IOMMU fault: descriptor 0 completes (its data is lost).
      expect(rx.status(0) & R.RXDADV_STAT_DD).toBe(R.RXDADV_STAT_DD);
      expect(rx.length(0)).toBe(60);
      expect(rx.data(1)).toEqual(rawFrame(60, OTHER_MAC, 2));
      expect(rx.head()).toBe(2);
      expect(t.control.stats().rx.bufferFaults).toBe(1);
      expect(t.control.stats().dmaFaults).toBe(1);
      expect(t.control.faults()[0]).toMatchObject({
        type: "dma",
        what: "rx-buffer",
        action: "data-lost",
        injected: true,
      });
    });

    test("an unmapped buffer address in a real descriptor loses that frame only", () => {
      const rx = setupRx(t, 0, { count: 8, give: 0 });
      t.mem32[(0 + 0) * 4 + 1] = 0x7777; // descriptor 0 of queue 0 points far outside host memory
      rx.setTail(7); // handed over (and fetched) only now
      t.run();
      t.inject(rawFrame(60));
      t.inject(rawFrame(61));
      t.inject(rawFrame(62));
      t.run();
      expect(rx.status(0) & R.RXDADV_STAT_DD).toBe(R.RXDADV_STAT_DD);
      expect(rx.data(1)).toEqual(rawFrame(61));
      expect(rx.data(2)).toEqual(rawFrame(62));
      expect(t.read32(R.RXDCTL(0)) & R.RXDCTL_ENABLE).toBe(R.RXDCTL_ENABLE);
      expect(t.control.stats().dmaFaults).toBe(1);
      expect(t.control.stats().rx.bufferFaults).toBe(1);
      expect(t.control.faults()[0]).toMatchObject({ what: "rx-buffer", injected: false });
    });

    test("DMA fault on a descriptor ring stops the queue with a PCI exception cause", () => {
      setupRx(t, 0, { count: 8 });
      t.read32(R.EICR);
      t.control.injectDmaFault({ targets: ["rx-ring"] });
      t.inject(rawFrame(60));
      t.run();
      expect(t.read32(R.RXDCTL(0)) & R.RXDCTL_ENABLE).toBe(0);
      expect(t.read32(R.EICR) & R.EICR_PCI).toBe(R.EICR_PCI);
      const tx = setupTx(t, 1, 8);
      t.control.injectDmaFault({ targets: ["tx-ring"] });
      tx.frame(rawFrame(60));
      tx.kick();
      t.run();
      expect(t.read32(R.TXDCTL(1)) & R.TXDCTL_ENABLE).toBe(0);
      expect(t.control.stats().queuesStopped).toBe(2);
    });

    test("DMA fault on a TX buffer: frame dropped, descriptor completed, next frame sent", () => {
      const tx = setupTx(t, 0, 8);
      t.control.injectDmaFault({ targets: ["tx-buffer"] });
      const a = tx.frame(rawFrame(60, OTHER_MAC, 1));
      tx.frame(rawFrame(60, OTHER_MAC, 2));
      tx.kick();
      t.run();
      expect(t.sent()).toEqual([rawFrame(60, OTHER_MAC, 2)]);
      expect(tx.dd(a)).toBe(true);
      expect(t.control.stats().tx.dropped.dmaFault).toBe(1);
    });

    test("malformed TX descriptors (zero length, null address, oversize) are dropped and logged", () => {
      const tx = setupTx(t, 0, 16);
      for (const kind of ["zero-length", "null-address", "oversize"] as const) {
        t.control.injectMalformedDescriptor({ kind, queue: 0 });
        tx.frame(rawFrame(60, OTHER_MAC));
        tx.kick();
        t.run();
        expect(t.sent()).toEqual([]);
      }
      // A real one: length beyond the frame limit without JUMBOEN.
      tx.frame(rawFrame(2000, OTHER_MAC));
      tx.frame(rawFrame(60, OTHER_MAC, 9));
      tx.kick();
      t.run();
      expect(t.sent()).toEqual([rawFrame(60, OTHER_MAC, 9)]);
      expect(t.read32(R.TDH(0))).toBe(5);
      const kinds = t.control.faults().map((f) => f.what);
      expect(kinds).toEqual(["zero-length", "null-address", "oversize", "oversize"]);
      expect(t.control.stats().tx.dropped.malformed).toBe(4);
    });

    test("malformed RX descriptor (null buffer address): frame dropped, counted", () => {
      const rx = setupRx(t, 0, { count: 8 });
      t.control.injectMalformedDescriptor({ kind: "null-address", direction: "rx" });
      t.inject(rawFrame(60));
      t.inject(rawFrame(61));
      t.run();
      expect(rx.length(0)).toBe(61);
      expect(t.control.stats().rx.dropped.malformed).toBe(1);
    });

    test("CRC errors are counted in CRCERRS and dropped", () => {
      const rx = setupRx(t, 0, { count: 8 });
      t.control.injectCrcErrors(2);
      for (let i = 0; i < 3; i++) t.inject(rawFrame(60));
      t.run();
      expect(t.read32(R.CRCERRS)).toBe(2);
      expect(t.read32(R.GPRC)).toBe(1);
      expect(rx.head()).toBe(1);
    });

    test("device reset while traffic runs: queues off, heads 0, then a clean re-init works", () => {
      const rx = setupRx(t, 0, { count: 8 });
      const tx = setupTx(t, 0, 8);
      t.inject(rawFrame(60));
      tx.frame(rawFrame(60, OTHER_MAC));
      tx.kick();
      t.run();
      expect(rx.head()).toBe(1);
      t.write32(R.CTRL, R.CTRL_RST);
      waitFor(t, R.CTRL, R.CTRL_RST, 0);
      expect(t.read32(R.RXDCTL(0)) & R.RXDCTL_ENABLE).toBe(0);
      expect(t.read32(R.TXDCTL(0)) & R.TXDCTL_ENABLE).toBe(0);
      expect(t.read32(R.RDH(0))).toBe(0);
      expect(t.read32(R.TDH(0))).toBe(0);
      expect(t.read32(R.GPRC)).toBe(0);
      t.inject(rawFrame(60, OTHER_MAC, 7));
      t.run();
      expect(t.control.stats().resets).toBe(2); // the conformance init plus this one
      initPort(t);
      t.write32(R.FCTRL, R.FCTRL_UPE);
      const rx2 = setupRx(t, 0, { count: 8 });
      t.inject(rawFrame(60, OTHER_MAC, 8));
      t.run();
      expect(rx2.data(0)).toEqual(rawFrame(60, OTHER_MAC, 8));
    });
  });
}
