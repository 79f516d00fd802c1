/*
 * The model's own packet rate per port for 64-byte frames (60 bytes + FCS): RX from an instant
 * wire into host descriptors, TX from host descriptors to a wire that only counts (the host
 * side: bench-port.ts). RX with RSS off (one queue: frames land in host buffers with no copy)
 * and on (two queues, UDP frames of 64 flows taking turns, so the queue changes from frame to
 * frame). Baseline in the same summary: copying 32 frames word by word, the floor.
 * model-wires.bench.ts measures the same with the real generator and sink.
 *   bun bench/model.bench.ts
 */
import { bench, do_not_optimize, run, summary } from "mitata";
import { BenchPort, copyRound, cpuPerPacket, InstantWire, report } from "./bench-port.ts";

const rx = new BenchPort(new InstantWire(), true, 1);
const rxRss = new BenchPort(new InstantWire(), true, 2);
const tx = new BenchPort(new InstantWire(false), false, 1);

for (let i = 0; i < 20000; i++) {
  rx.rxRound();
  rxRss.rxRound();
  tx.txRound();
}

summary(() => {
  bench("baseline: copy 32 x 60 B in JS", () => do_not_optimize(copyRound()));
  bench("model RX: 32 x 64 B frames wire -> host", () => do_not_optimize(rx.rxRound()));
  bench("model RX, RSS over 2 queues: 32 x 64 B", () => do_not_optimize(rxRss.rxRound()));
  bench("model TX: 32 x 64 B frames host -> wire", () => do_not_optimize(tx.txRound()));
});

report(await run({ colors: false }));
const delivered = (p: BenchPort) => () => p.port.stats().rx.delivered;
const cpu = {
  rx: cpuPerPacket(() => rx.rxRound(), delivered(rx)),
  rxRss: cpuPerPacket(() => rxRss.rxRound(), delivered(rxRss)),
  tx: cpuPerPacket(
    () => tx.txRound(),
    () => (tx.wire as InstantWire).sent,
  ),
};
const line = (what: string, ns: number) =>
  console.log(`CPU time, ${what}: ${ns.toFixed(1)} ns/frame, ${(1e3 / ns).toFixed(2)} Mpps`);
line("RX", cpu.rx);
line("RX, RSS over 2 queues", cpu.rxRss);
line("TX", cpu.tx);
if (rx.port.stats().rx.delivered === 0 || rxRss.port.stats().rx.delivered === 0) {
  throw new Error("benchmark received no frames");
}
if ((tx.wire as InstantWire).sent === 0) throw new Error("benchmark sent no frames");
for (const side of [rx, rxRss, tx]) side.dma.close();
