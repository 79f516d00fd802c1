/*
 * The model with its real wires, per port, 64-byte frames: RX from a rate=max generator
 * (frames built in host buffers, 64 flows) and TX into a validating sink, each direction on
 * its own port (a `gen` port that only receives, a `sink` port that only transmits), so each
 * figure is one direction's cost per frame. The host side is bench-port.ts.
 *   bun bench/model-wires.bench.ts
 */
import { bench, do_not_optimize, run, summary } from "mitata";
import type { GeneratorWire } from "../src/wire/generator.ts";
import type { SinkStats, SinkWire } from "../src/wire/sink.ts";
import { WireSet } from "../src/wire/wire-set.ts";
import { BenchPort, BUFFERS, copyRound, cpuPerPacket, RING, report } from "./bench-port.ts";

const wires = new WireSet();
const rxWire = wires.open("p0", "gen:rate=max,size=60,flows=64", {
  mac: "02:00:00:82:59:90",
}) as GeneratorWire;
const txWire = wires.open("p1", "sink", { mac: "02:00:00:82:59:90" }) as SinkWire;
const rx = new BenchPort(rxWire, true, 1);
const tx = new BenchPort(txWire, false, 1);
// The TX rings send generator frames (from the other port's generator), so the sink checks them.
const txMem = tx.dma.u8[0] as Uint8Array;
for (let i = 0; i < RING; i++) rxWire.pull(txMem, BUFFERS + i * 2048, 2048, tx.mem32);

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
const rxNs = cpuPerPacket(
  () => rx.rxRound(),
  () => rx.port.stats().rx.delivered,
);
const txNs = cpuPerPacket(
  () => tx.txRound(),
  () => txWire.frames,
);
for (const [what, ns] of [
  ["RX from gen", rxNs],
  ["TX into sink", txNs],
] as const) {
  console.log(`CPU time, ${what}: ${ns.toFixed(1)} ns/frame, ${(1e3 / ns).toFixed(2)} Mpps`);
}
const sink = txWire.stats() as SinkStats;
if (rx.port.stats().rx.delivered === 0 || sink.generatorFrames === 0 || sink.corrupted !== 0) {
  throw new Error(
    `benchmark moved no frames or the sink saw damage: ${JSON.stringify(sink.problems)}`,
  );
}
rx.dma.close();
tx.dma.close();
wires.close();
