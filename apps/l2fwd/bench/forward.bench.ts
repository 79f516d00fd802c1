/*
 * Cost of one forwarding step (batch 32, both directions = 64 frames) over in-memory ports,
 * against the ports' own rx+tx work with no forwarder in between: the difference is what the
 * loop adds per frame (rewrite, drop bookkeeping, counters).
 *   bun apps/l2fwd/bench/forward.bench.ts
 */
import { bench, do_not_optimize, run, summary } from "mitata";
import { QueueForwarder } from "../src/forward.ts";
import { memoryPortPair } from "../src/memory-port.ts";

const BATCH = 32;

for (const mode of ["touch", "mac"] as const) {
  const { ports } = memoryPortPair();
  const [a, b] = ports;
  const fwd = new QueueForwarder({ a, b, queue: 0, batch: BATCH, mode });
  const base = memoryPortPair().ports;
  const bufs = new Uint32Array(BATCH);
  summary(() => {
    bench(`ports only: rx+tx, 2 x ${BATCH} frames`, () => {
      const n = base[0].rxBatch(0, bufs, BATCH);
      const m = base[1].txBatch(0, bufs, n);
      const k = base[1].rxBatch(0, bufs, BATCH);
      do_not_optimize(m + base[0].txBatch(0, bufs, k));
    });
    bench(`forwarder step (${mode}), 2 x ${BATCH} frames`, () => do_not_optimize(fwd.step()));
  });
}

await run({ colors: false });
