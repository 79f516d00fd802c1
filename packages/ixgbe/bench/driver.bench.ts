/*
 * The driver's own per-packet cost: rxBatch + buffer handling + txBatch + TX cleanup, against
 * the in-process fake NIC, which completes descriptors at once (DD + length on RX descriptors
 * up to the tail, DD on TX descriptors up to the tail). Every benchmark op moves 256 packets
 * (256 / batch loop passes), so ns per packet = ns per op / 256, printed at the end.
 * The baseline is the fake NIC alone doing the same descriptor work with no driver, so
 * "driver cost" = total - baseline.
 *
 *   bun bench/driver.bench.ts        (from packages/ixgbe)
 */
import { bench, do_not_optimize, run, summary } from "mitata";
import { IxgbeDevice } from "../src/device.ts";
import * as R from "../src/regs/index.ts";
import { FakeNic, fakeBackend } from "../test/support/fake-nic.ts";

const PACKETS_PER_OP = 256;
const RING = 512;
const BATCHES = [1, 2, 4, 8, 16, 32, 64, 128, 256];
const fast = { resetMs: 100, eepromMs: 100, dmaInitMs: 100, queueMs: 100, linkMs: 100 };

async function forwarder() {
  const nic = new FakeNic();
  const dev = await IxgbeDevice.fromBackend(fakeBackend(nic), {
    rxRingSize: RING,
    txRingSize: RING,
    timeouts: fast,
  });
  const pool = dev.rxPool(0);
  dev.useTxPool(0, pool); // forward: TX frees into the RX pool
  return { nic, dev, pool, rx: dev.rxQueue(0), tx: dev.txQueue(0) };
}

const f = await forwarder();
const bufs = new Uint32Array(256);
let totalPackets = 0;

function pass(batch: number): void {
  const { nic, rx, tx, pool } = f;
  nic.step(1, 60);
  const n = rx.rxBatch(bufs, batch);
  const sent = tx.txBatch(bufs, n);
  for (let k = sent; k < n; k++) pool.freeOne(bufs[k] as number); // drop what did not fit
  totalPackets += n;
}

// Baseline: the fake NIC's share alone. The bench moves the tails itself, as a driver would.
const b = await forwarder();
const regs = b.nic.regs;
const rdt = R.RDT(0) >>> 2;
const tdt = R.TDT(0) >>> 2;
function fakeOnly(batch: number): void {
  regs[rdt] = ((regs[rdt] as number) + batch) & (RING - 1); // plain stores, like Doorbell.ring
  regs[tdt] = ((regs[tdt] as number) + batch) & (RING - 1);
  b.nic.step(1, 60);
}

summary(() => {
  bench("fake NIC alone, batch 32 (baseline)", () => {
    for (let i = 0; i < PACKETS_PER_OP / 32; i++) fakeOnly(32);
    do_not_optimize(regs);
  }).baseline(true);
  for (const batch of BATCHES) {
    bench(`driver rx+tx+clean, batch ${batch}`, () => {
      for (let i = 0; i < PACKETS_PER_OP / batch; i++) pass(batch);
      do_not_optimize(bufs);
    });
  }
});

summary(() => {
  for (const batch of BATCHES) {
    bench(`fake NIC alone, batch ${batch}`, () => {
      for (let i = 0; i < PACKETS_PER_OP / batch; i++) fakeOnly(batch);
      do_not_optimize(regs);
    });
  }
});

const result = await run({ colors: false, throw: true });
const perPacket = new Map<string, number>();
for (const trial of result.benchmarks) {
  for (const r of trial.runs) if (r.stats) perPacket.set(r.name, r.stats.avg / PACKETS_PER_OP);
}
const fakeAt = (batch: number) =>
  perPacket.get(`fake NIC alone, batch ${batch}`) ??
  perPacket.get(`fake NIC alone, batch ${batch} (baseline)`) ??
  0;
console.log("\nns per packet (rx + tx + cleanup), total and minus the fake NIC's share:");
console.log("  batch   total   fake   driver");
for (const batch of BATCHES) {
  const total = perPacket.get(`driver rx+tx+clean, batch ${batch}`) ?? 0;
  const fake = fakeAt(batch);
  console.log(
    `  ${String(batch).padStart(5)} ${total.toFixed(1).padStart(7)} ${fake.toFixed(1).padStart(6)} ${(total - fake).toFixed(1).padStart(8)}`,
  );
}
if (totalPackets === 0) throw new Error("no packets moved: the harness is broken");
const stats = f.dev.readStats();
console.log(
  `\nsanity: ${stats.rxQueues[0]?.swPackets} received, ${stats.txQueues[0]?.swPackets} sent`,
);
f.dev.close();
b.dev.close();
