/*
 * The model with its real wires, per port, 64-byte frames: RX from a rate=max generator
 * (frames built in host buffers, 64 flows) and TX into a validating sink, both behind a
 * gen+sink wire as the simulator process runs them. The host side is bench-port.ts.
 *   bun bench/model-wires.bench.ts
 */
import { bench, do_not_optimize, run, summary } from "mitata";
import type { DuplexWire } from "../src/wire/duplex.ts";
import type { SinkStats } from "../src/wire/sink.ts";
import { WireSet } from "../src/wire/wire-set.ts";
import { BenchPort, BUFFERS, copyRound, cpuPerPacket, RING, report } from "./bench-port.ts";

const SPEC = "gen:rate=max,size=60,flows=64+sink";
const wires = new WireSet();
const rxWire = wires.open("p0", SPEC, { mac: "02:00:00:82:59:90" }) as DuplexWire;
const txWire = wires.open("p1", SPEC, { mac: "02:00:00:82:59:90" }) as DuplexWire;
const rx = new BenchPort(rxWire, true, 1);
const tx = new BenchPort(txWire, false, 1);
// The TX rings send generator frames (from the other port's generator), so the sink checks them.
const txMem = tx.dma.u8[0] as Uint8Array;
for (let i = 0; i < RING; i++) rxWire.source.pull(txMem, BUFFERS + i * 2048, 2048, tx.mem32);

for (let i = 0; i < 20000; i++) {
  rx.rxRound();
  tx.txRound();
}

summary(() => {
  bench("baseline: copy 32 x 60 B in JS", () => do_not_optimize(copyRound()));
  bench("model RX from gen:rate=max: 32 x 64 B", () => do_not_optimize(rx.rxRound()));
  bench("model TX into sink: 32 x 64 B", () => do_not_optimize(tx.txRound()));
});

report(await run({ colors: false }));
console.log(`CPU time, RX from gen: ${cpuPerPacket(() => rx.rxRound()).toFixed(1)} ns/packet`);
console.log(`CPU time, TX into sink: ${cpuPerPacket(() => tx.txRound()).toFixed(1)} ns/packet`);
const sink = txWire.sink.stats() as SinkStats;
if (rx.port.stats().rx.delivered === 0 || sink.generatorFrames === 0 || sink.corrupted !== 0) {
  throw new Error(
    `benchmark moved no frames or the sink saw damage: ${JSON.stringify(sink.problems)}`,
  );
}
rx.dma.close();
tx.dma.close();
wires.close();
