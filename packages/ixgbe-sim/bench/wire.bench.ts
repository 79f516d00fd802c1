/*
 * Per-frame cost of the wires' hot paths for 64-byte frames (60 bytes without CRC), against a
 * plain copy of the same frame. Run: cd packages/ixgbe-sim && bun bench/wire.bench.ts
 */
import { bench, do_not_optimize, run, summary } from "mitata";
import { GeneratorWire } from "../src/wire/generator.ts";
import { SinkWire } from "../src/wire/sink.ts";
import { WireSet } from "../src/wire/wire-set.ts";

const SIZE = 60;
const dst = new Uint8Array(2048 * 64);
const genOptions = {
  rate: Number.POSITIVE_INFINITY,
  size: SIZE,
  flows: 64,
  count: Number.POSITIVE_INFINITY,
  burst: 32,
  id: 1,
  dstMac: Uint8Array.of(2, 0, 0, 0, 0, 1),
};
const gen = new GeneratorWire("gen", genOptions);
const frame = new Uint8Array(SIZE);
gen.pull(frame, 0, SIZE);
const loopGen = new GeneratorWire("gen", { ...genOptions, id: 2 });
const sinkEvery16 = new SinkWire("sink", { latencyEvery: 16 });
const loopGen1 = new GeneratorWire("gen", { ...genOptions, id: 3 });
const sinkEvery1 = new SinkWire("sink", { latencyEvery: 1 });
const set = new WireSet();
const a = set.open("a", "cable:b,slots=1024");
const b = set.open("b", "cable:a");
const none = set.open("n", "null");
let slot = 0;

summary(() => {
  bench("baseline: copy the 60-byte frame (Uint8Array.set)", () => {
    slot = (slot + 2048) & 0x1ffff;
    dst.set(frame, slot);
    do_not_optimize(dst);
  }).baseline(true);
  bench("gen.pull", () => {
    slot = (slot + 2048) & 0x1ffff;
    do_not_optimize(gen.pull(dst, slot, 2048));
  });
  bench("gen.pull + sink.push (latency 1 in 16)", () => {
    slot = (slot + 2048) & 0x1ffff;
    sinkEvery16.push(dst, slot, loopGen.pull(dst, slot, 2048));
  });
  bench("gen.pull + sink.push (latency every frame)", () => {
    slot = (slot + 2048) & 0x1ffff;
    sinkEvery1.push(dst, slot, loopGen1.pull(dst, slot, 2048));
  });
  bench("cable push + pull", () => {
    slot = (slot + 2048) & 0x1ffff;
    a.push(frame, 0, SIZE);
    do_not_optimize(b.pull(dst, slot, 2048));
  });
  bench("null.push", () => {
    none.push(frame, 0, SIZE);
  });
});

await run({ colors: false });
set.close();
const st = sinkEvery16.stats();
if (st.verdict !== "pass") throw new Error(`sink saw problems: ${JSON.stringify(st.problems)}`);
