// Clear-on-read accumulation, 36-bit octet counters and the per-queue slot mapping.
import { describe, expect, test } from "bun:test";
import * as R from "../src/regs/index.ts";
import { identityQueueMap, read36, StatsAccumulator } from "../src/stats.ts";
import { FakeNic } from "./support/fake-nic.ts";

describe("statistics", () => {
  test("36-bit octet counters: L then H, bits above 35 ignored", () => {
    const nic = new FakeNic();
    nic.setCounter(R.GORCL, 0xfffffff0);
    nic.setCounter(R.GORCH, 0xfffffff7); // only bits 3:0 are counter bits
    expect(read36(nic, R.GORCL, R.GORCH)).toBe(7 * 2 ** 32 + 0xfffffff0);
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
    expect(s.rxPackets).toBe(5 * 0xffffffff);
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

  test("queue -> slot map registers", () => {
    expect(identityQueueMap(0)).toBe(0x03020100);
    expect(identityQueueMap(3)).toBe(0x0f0e0d0c);
  });
});
