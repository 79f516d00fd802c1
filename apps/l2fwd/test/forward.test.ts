import { describe, expect, test } from "bun:test";
import {
  Counter,
  macTemplate,
  pollForwarders,
  QueueForwarder,
  TOUCHED_BYTE,
} from "../src/forward.ts";
import { memoryPortPair, SEQ_OFFSET } from "../src/memory-port.ts";

describe("QueueForwarder", () => {
  test("touch mode increments exactly one header byte and forwards every frame", () => {
    const { ports } = memoryPortPair({ frames: 100 });
    const [a, b] = ports;
    const f = new QueueForwarder({ a, b, queue: 0, batch: 32, mode: "touch" });
    expect(f.step()).toBe(64); // 32 each way
    // Frames a generated were sent by b: byte 1 of the broadcast destination went 0xff -> 0x00.
    expect(b.lastTx[TOUCHED_BYTE]).toBe(0x00);
    expect(b.lastTx[0]).toBe(0xff);
    expect(Array.from(b.lastTx.subarray(6, 12))).toEqual(Array.from(a.mac)); // source untouched
    while (f.step() > 0);
    const c = f.counters;
    expect(c[Counter.RX_AB]).toBe(100);
    expect(c[Counter.TX_AB]).toBe(100);
    expect(c[Counter.RX_BA]).toBe(100);
    expect(c[Counter.TX_BA]).toBe(100);
    expect(c[Counter.DROP_AB] + c[Counter.DROP_BA]).toBe(0);
    expect(b.stats().txPackets).toBe(100);
    expect(a.reordered + b.reordered + a.corrupted + b.corrupted).toBe(0);
    // Every buffer is back in its pool.
    expect(a.pool(0).available).toBe(a.pool(0).count);
    expect(b.pool(0).available).toBe(b.pool(0).count);
  });

  test("pass mode sends frames exactly as received", () => {
    const { ports } = memoryPortPair({ frames: 10 });
    const [a, b] = ports;
    const f = new QueueForwarder({ a, b, queue: 0, batch: 32, mode: "pass" });
    expect(f.step()).toBe(20);
    expect(Array.from(b.lastTx.subarray(0, 6))).toEqual([0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);
    expect(Array.from(b.lastTx.subarray(6, 12))).toEqual(Array.from(a.mac));
    expect(Array.from(a.lastTx.subarray(6, 12))).toEqual(Array.from(b.mac));
    expect(a.corrupted + b.corrupted).toBe(0);
  });

  test("touch mode wraps 0xff to 0x00, in the receiving pool memory", () => {
    const { ports } = memoryPortPair({ frames: 1 });
    const [a, b] = ports;
    b.txLimit = 0; // keep the frame in our hands: it is dropped, so we can read it in the pool
    const f = new QueueForwarder({ a, b, queue: 0, batch: 1, mode: "touch" });
    f.step();
    const pool = a.pool(0);
    // The dropped buffer went back on top of the LIFO stack: the next alloc returns it.
    const buf = pool.allocOne();
    expect(pool.u8[pool.dataOffset[buf] + TOUCHED_BYTE]).toBe(0x00);
  });

  test("mac mode writes destination 02:00:00:00:00:<port> and the sending port's MAC", () => {
    const { ports } = memoryPortPair({ frames: 5 });
    const [a, b] = ports;
    const f = new QueueForwarder({ a, b, queue: 0, batch: 8, mode: "mac", aId: 3, bId: 7 });
    f.step();
    expect(Array.from(b.lastTx.subarray(0, 6))).toEqual([2, 0, 0, 0, 0, 7]);
    expect(Array.from(b.lastTx.subarray(6, 12))).toEqual(Array.from(b.mac));
    expect(Array.from(a.lastTx.subarray(0, 6))).toEqual([2, 0, 0, 0, 0, 3]);
    expect(Array.from(a.lastTx.subarray(6, 12))).toEqual(Array.from(a.mac));
    // EtherType and payload survive the rewrite.
    expect(b.corrupted + a.corrupted).toBe(0);
    expect(b.lastTx[SEQ_OFFSET]).toBe(4);
  });

  test("frames the TX port cannot take are freed to their pool and counted as drops", () => {
    const { ports } = memoryPortPair({ frames: 1000 });
    const [a, b] = ports;
    b.txLimit = 0;
    a.txLimit = 5;
    const f = new QueueForwarder({ a, b, queue: 0, batch: 16, mode: "touch" });
    for (let i = 0; i < 10; i++) f.step();
    const c = f.counters;
    expect(c[Counter.RX_AB]).toBe(160);
    expect(c[Counter.TX_AB]).toBe(0);
    expect(c[Counter.DROP_AB]).toBe(160);
    expect(c[Counter.RX_BA]).toBe(160);
    expect(c[Counter.TX_BA]).toBe(50);
    expect(c[Counter.DROP_BA]).toBe(110);
    expect(c[Counter.LOOPS]).toBe(10);
    // No buffer leaked: the pools are full again (TX completes at once in memory ports).
    expect(a.pool(0).available).toBe(a.pool(0).count);
    expect(b.pool(0).available).toBe(b.pool(0).count);
    // The frames that did go out are the first of each batch, in order.
    expect(a.reordered).toBe(0);
    expect(a.stats().txPackets).toBe(50);
  });

  test("counts idle loops when nothing arrives", () => {
    const { ports } = memoryPortPair({ frames: 0 });
    const f = new QueueForwarder({ a: ports[0], b: ports[1], queue: 0, batch: 4, mode: "touch" });
    for (let i = 0; i < 3; i++) expect(f.step()).toBe(0);
    expect(f.counters[Counter.IDLE]).toBe(3);
  });

  test("rejects a batch or queue out of range", () => {
    const { ports } = memoryPortPair({ queues: 2 });
    const [a, b] = ports;
    expect(() => new QueueForwarder({ a, b, queue: 0, batch: 0, mode: "touch" })).toThrow(
      /batch 0/,
    );
    expect(() => new QueueForwarder({ a, b, queue: 0, batch: 513, mode: "touch" })).toThrow(
      /batch 513/,
    );
    expect(() => new QueueForwarder({ a, b, queue: 2, batch: 1, mode: "touch" })).toThrow(
      /queue 2/,
    );
  });
});

describe("pollForwarders", () => {
  test("runs every queue pair until the deadline", () => {
    const { ports } = memoryPortPair({ queues: 2 });
    const [a, b] = ports;
    const fs = [0, 1].map((queue) => new QueueForwarder({ a, b, queue, batch: 8, mode: "touch" }));
    const iterations = pollForwarders(fs, Bun.nanoseconds() + 20e6, new Int32Array(1));
    expect(iterations % 0x1000).toBe(0);
    for (const f of fs) {
      expect(f.counters[Counter.LOOPS]).toBe(iterations);
      expect(f.counters[Counter.TX_AB]).toBe(iterations * 8);
    }
  });

  test("returns at the first check after the stop flag is set", () => {
    const { ports } = memoryPortPair({ frames: 0 });
    const f = new QueueForwarder({ a: ports[0], b: ports[1], queue: 0, batch: 1, mode: "touch" });
    const stop = new Int32Array(1);
    Atomics.store(stop, 0, 1);
    expect(pollForwarders([f], Number.POSITIVE_INFINITY, stop)).toBe(0x1000);
  });
});

test("macTemplate checks the MAC length", () => {
  expect(() => macTemplate(1, new Uint8Array(5))).toThrow(/6 bytes/);
  expect(Array.from(macTemplate(258, Uint8Array.of(1, 2, 3, 4, 5, 6)))).toEqual([
    2, 0, 0, 0, 0, 2, 1, 2, 3, 4, 5, 6,
  ]);
});
