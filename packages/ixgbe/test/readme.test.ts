// The README's forwarding loop, bounded, against the fake NIC.
import { expect, test } from "bun:test";
import { IxgbeDevice } from "../src/index.ts";
import { FakeNic, fakeBackend } from "./support/fake-nic.ts";

test("README forwarding loop", async () => {
  const nic = new FakeNic();
  using dev = await IxgbeDevice.fromBackend(fakeBackend(nic), {
    rxQueues: 1,
    txQueues: 1,
    rxRingSize: 512,
    txRingSize: 512,
    timeouts: { linkMs: 100 },
  });
  const rx = dev.rxQueue(0);
  const tx = dev.txQueue(0);
  dev.useTxPool(0, dev.rxPool(0));
  const pool = dev.rxPool(0);
  const bufs = new Uint32Array(32);
  const free = pool.available;
  for (let i = 0; i < 1000; i++) {
    nic.step(1, 60); // the "wire": frames arrive, sent ones complete
    const n = rx.rxBatch(bufs, 32);
    const sent = tx.txBatch(bufs, n);
    for (let k = sent; k < n; k++) pool.freeOne(bufs[k] as number);
  }
  const s = dev.readStats();
  expect(s.rxQueues[0]?.swPackets).toBe(32_000);
  expect(s.txQueues[0]?.swPackets).toBe(32_000);
  expect(s.rxQueues[0]?.swBytes).toBe(32_000 * 60);
  // No buffer leaks: everything not on a ring is back in the pool.
  expect(pool.available).toBe(free - tx.inFlight);
});
