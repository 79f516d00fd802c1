// Clear-on-read accumulation, 36-bit octet counters, free-running counters in mapped areas
// (differences, wraps, torn L/H reads, resets) and the per-queue slot mapping.
import { describe, expect, test } from "bun:test";
import type { Mmio } from "@dataplane/pci";
import * as R from "../src/regs/index.ts";
import { identityQueueMap, readShared36, StatsAccumulator } from "../src/stats.ts";
import { FakeNic } from "./support/fake-nic.ts";

const MAPPED_START = 0x01000;
const MAPPED_END = 0x02000;
const inMapped = (offset: number) => offset >= MAPPED_START && offset < MAPPED_END;

/**
 * Registers the way a vfio-user device with mapped RX queue pages behaves: words in
 * [0x01000, 0x02000) are shared memory the device keeps running totals in (a read changes
 * nothing), every other counter clears on read. `afterReads` lets a store land only after a
 * number of reads, as when the device writes L and then H while the driver reads the pair.
 */
class MappedQueuePages implements Mmio {
  readonly size = R.BAR0_SIZE;
  readonly regs = new Uint32Array(R.BAR0_SIZE / 4);
  /** Reads per offset. */
  readonly reads = new Map<number, number>();
  private pending: { offset: number; value: number; reads: number } | null = null;

  set(offset: number, value: number): void {
    this.regs[offset >>> 2] = value >>> 0;
  }
  /**
   * A free-running 36-bit pair set as the device would: L now, H now or only after the
   * driver read H `lateReads` more times (a store that lands between the driver's reads).
   */
  set36(low: number, high: number, value: number, lateReads = 0): void {
    this.set(low, value % 2 ** 32);
    const hi = Math.floor(value / 2 ** 32);
    if (lateReads === 0) this.set(high, hi);
    else this.pending = { offset: high, value: hi, reads: lateReads };
  }
  read32(offset: number): number {
    this.reads.set(offset, (this.reads.get(offset) ?? 0) + 1);
    const v = this.regs[offset >>> 2] as number;
    const p = this.pending;
    if (p !== null && p.offset === offset && --p.reads === 0) {
      this.set(p.offset, p.value);
      this.pending = null;
    }
    if (!inMapped(offset)) this.regs[offset >>> 2] = 0;
    return v;
  }
  write32(offset: number, value: number): void {
    this.set(offset, value);
  }
  word() {
    return null;
  }
  barrier(): void {}
  close(): void {}
}

describe("statistics", () => {
  test("36-bit octet counters: L then H, bits above 35 ignored", () => {
    const nic = new FakeNic();
    nic.setCounter(R.GORCL, 0xfffffff0);
    nic.setCounter(R.GORCH, 0xfffffff7); // only bits 3:0 are counter bits
    const acc = new StatsAccumulator(1, 1);
    acc.update(nic);
    expect(acc.snapshot([], []).rxBytes).toBe(7 * 2 ** 32 + 0xfffffff0);
    expect(nic.peek(R.GORCL)).toBe(0); // clear-on-read
  });

  test("totals accumulate across reads past 2^36 and 2^32 without loss", () => {
    const nic = new FakeNic();
    const acc = new StatsAccumulator(2, 1);
    const max36 = 2 ** 36 - 1;
    for (let i = 0; i < 5; i++) {
      nic.setCounter(R.GORCL, 0xffffffff);
      nic.setCounter(R.GORCH, 0xf);
      nic.setCounter(R.GPRC, 0xffffffff);
      nic.setCounter(R.QBTC_L(0), 0x80000000);
      nic.setCounter(R.QBTC_H(0), 0x1);
      nic.setCounter(R.MPC(3), 2);
      nic.setCounter(R.MPC(7), 3);
      nic.setCounter(R.QPRDC(1), 9);
      acc.update(nic);
    }
    const s = acc.snapshot([], []);
    expect(s.rxBytes).toBe(5 * max36);
    expect(s.macRxPackets).toBe(5 * 0xffffffff); // GPRC
    expect(s.rxPackets).toBe(0); // the queues' QPRC: nothing delivered
    expect(s.rxMissed).toBe(25);
    expect(s.rxQueues[1]?.dropped).toBe(45);
    expect(s.txQueues[0]?.bytes).toBe(5 * (2 ** 32 + 0x80000000));
    expect(Number.isSafeInteger(s.rxBytes)).toBe(true);
  });

  test("clear() discards what the counters held", () => {
    const nic = new FakeNic();
    const acc = new StatsAccumulator(1, 1);
    nic.setCounter(R.GPTC, 1234);
    acc.clear(nic);
    nic.setCounter(R.GPTC, 1);
    acc.update(nic);
    const soft = Float64Array.from([10, 640, 0]);
    const s = acc.snapshot([soft], [soft]);
    expect(s.txPackets).toBe(1);
    expect(s.rxQueues[0]).toMatchObject({ swPackets: 10, swBytes: 640 });
  });

  test("free-running queue counters in mapped pages: differences, not sums", () => {
    const regs = new MappedQueuePages();
    const acc = new StatsAccumulator(2, 1, inMapped);
    expect(acc.freeRunning).toBe(2 * 3); // QPRC, QBRC (one L/H pair), QPRDC per RX queue
    regs.set(R.QPRC(0), 1000); // counted before open: the baseline
    acc.clear(regs);
    let delivered = 0;
    for (let k = 1; k <= 6; k++) {
      delivered += 100 * k;
      regs.set(R.QPRC(0), 1000 + delivered);
      regs.set36(R.QBRC_L(1), R.QBRC_H(1), 64 * delivered);
      regs.set(R.QPRDC(0), k);
      regs.set(R.GPRC, 100 * k); // clear-on-read: each read sees only the new frames
      regs.set(R.QPTC(0), 100 * k); // TX queue counters are not in the mapped pages
      acc.update(regs);
    }
    const s = acc.snapshot([], []);
    expect(s.rxQueues[0]?.packets).toBe(delivered);
    expect(s.rxQueues[1]?.bytes).toBe(64 * delivered);
    expect(s.rxQueues[0]?.dropped).toBe(6);
    expect(s.rxPackets).toBe(delivered);
    expect(s.txQueues[0]?.packets).toBe(delivered);
  });

  test("free-running counters wrap at 2^32 and, for L/H pairs, at 2^36", () => {
    const regs = new MappedQueuePages();
    const acc = new StatsAccumulator(1, 1, inMapped);
    regs.set(R.QPRC(0), 0xfffffff0);
    regs.set36(R.QBRC_L(0), R.QBRC_H(0), 2 ** 36 - 100);
    acc.clear(regs);
    regs.set(R.QPRC(0), 0x10);
    regs.set36(R.QBRC_L(0), R.QBRC_H(0), 50);
    acc.update(regs);
    const s = acc.snapshot([], []);
    expect(s.rxQueues[0]?.packets).toBe(0x20);
    expect(s.rxQueues[0]?.bytes).toBe(150);
  });

  test("an L/H pair read between the device's two stores is read again, not taken as 2^32 lost", () => {
    const regs = new MappedQueuePages();
    const acc = new StatsAccumulator(1, 1, inMapped);
    regs.set36(R.QBRC_L(0), R.QBRC_H(0), 2 ** 32 - 10);
    acc.clear(regs);
    // L wraps to 20 at once; H goes to 1 only after the driver read it twice more.
    regs.set36(R.QBRC_L(0), R.QBRC_H(0), 2 ** 32 + 20, 2);
    expect(readShared36(regs, R.QBRC_L(0), R.QBRC_H(0))).toBe(20); // torn: H, L, H = 0, 20, 0
    regs.set(R.QBRC_H(0), 0); // the same again, for the accumulator
    regs.set36(R.QBRC_L(0), R.QBRC_H(0), 2 ** 32 + 20, 2);
    const hReads = regs.reads.get(R.QBRC_H(0)) ?? 0;
    acc.update(regs);
    expect((regs.reads.get(R.QBRC_H(0)) ?? 0) - hReads).toBe(4); // the torn pair, then again
    expect(acc.snapshot([], []).rxQueues[0]?.bytes).toBe(30);
  });

  test("a reset behind the driver's back: free-running counters restart from zero, totals kept", () => {
    const regs = new MappedQueuePages();
    const acc = new StatsAccumulator(1, 1, inMapped);
    acc.clear(regs);
    regs.set(R.QPRC(0), 500);
    regs.set36(R.QBRC_L(0), R.QBRC_H(0), 500 * 64);
    acc.update(regs);
    regs.set(R.QPRC(0), 30); // reset, then 30 more frames
    regs.set36(R.QBRC_L(0), R.QBRC_H(0), 30 * 64);
    acc.update(regs);
    acc.update(regs); // nothing new
    regs.set(R.QPRC(0), 0); // a reset the driver made (recover): it says so
    regs.set36(R.QBRC_L(0), R.QBRC_H(0), 0);
    acc.restarted();
    regs.set(R.QPRC(0), 7);
    regs.set36(R.QBRC_L(0), R.QBRC_H(0), 7 * 64);
    acc.update(regs);
    const q = acc.snapshot([], []).rxQueues[0];
    expect(q?.packets).toBe(537);
    expect(q?.bytes).toBe(537 * 64);
  });

  test("queue -> slot map registers", () => {
    expect(identityQueueMap(0)).toBe(0x03020100);
    expect(identityQueueMap(3)).toBe(0x0f0e0d0c);
  });
});
