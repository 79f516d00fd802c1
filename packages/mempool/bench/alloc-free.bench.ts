/*
 * Batch-32 alloc + free per buffer: the index pool against a naive object-per-buffer pool over
 * the same memory, in the same summary. One iteration takes 32 buffers and gives them back, so
 * ns per buffer = ns per iteration / 32 (printed at the end with the two targets: under 5 ns
 * per buffer, and 10x the naive pool).
 *
 *   bun bench/alloc-free.bench.ts        (from packages/mempool)
 */

import { allocate } from "@dataplane/hugemem";
import { bench, do_not_optimize, run, summary } from "mitata";
import { Mempool, type MempoolMemory } from "../src/index.ts";
import { plainMemory } from "../test/support/memory.ts";

const COUNT = 4096;
const BATCH = 32;
const BUFFER = 2048;
const HEADROOM = 128;

/** One buffer as an object: what a straightforward JS pool hands out. */
class Packet {
  len = 0;
  constructor(
    readonly index: number,
    readonly data: Uint8Array,
    readonly dmaAddress: number,
  ) {}
}

/**
 * The naive object-per-buffer pool: one Packet per buffer, made once at creation (with its own
 * view of the data room and its DMA address); the free list is a JS Array of them; a batch is
 * pop()ed into a caller-owned Packet[] and push()ed back. Same memory, same batch shape and
 * LIFO order as the index pool; the only difference is a reference per buffer instead of an
 * index into typed arrays.
 */
class NaiveObjectPool {
  private readonly free: Packet[] = [];
  constructor(u8: Uint8Array, count: number, base: number) {
    for (let i = 0; i < count; i++) {
      const off = i * BUFFER + HEADROOM;
      this.free.push(new Packet(i, u8.subarray(off, off + BUFFER - HEADROOM), base + off));
    }
  }
  allocBatch(out: Packet[], n: number): number {
    let k = 0;
    for (; k < n; k++) {
      const p = this.free.pop();
      if (p === undefined) break;
      out[k] = p;
    }
    return k;
  }
  freeBatch(from: Packet[], n: number): void {
    for (let k = 0; k < n; k++) this.free.push(from[k] as Packet);
  }
}

function memory(): MempoolMemory & Disposable {
  try {
    return allocate({ bytes: COUNT * BUFFER, pageSize: "2M" }); // 4 x 2 MiB pages
  } catch (e) {
    console.warn(`no hugepages (${(e as Error).message}); using 4 KiB pages`);
    return plainMemory(COUNT * BUFFER);
  }
}

using mem = memory();
const dma = { kind: "iova", base: mem.address } as const;
using pool = Mempool.create({ memory: mem, dma, count: COUNT });
using debugPool = Mempool.create({ memory: mem, dma, count: COUNT, debug: true });
const naive = new NaiveObjectPool(mem.u8, COUNT, mem.address);
// Not a pool at all: a fresh Packet (and subarray view) per allocation, left to the GC on free.
let nextFresh = 0;
function freshPacket(): Packet {
  const i = nextFresh;
  nextFresh = (i + 1) & (COUNT - 1);
  const off = i * BUFFER + HEADROOM;
  return new Packet(i, mem.u8.subarray(off, off + BUFFER - HEADROOM), mem.address + off);
}
const idx = new Uint32Array(BATCH);
const objs: Packet[] = new Array(BATCH);

const NAIVE = "naive object-per-buffer pool, batch 32";
const BATCHED = "mempool allocBatch/freeBatch(32)";

summary(() => {
  bench(NAIVE, () => {
    const n = naive.allocBatch(objs, BATCH);
    naive.freeBatch(objs, n);
    do_not_optimize(objs);
  }).baseline(true);

  bench(BATCHED, () => {
    const n = pool.allocBatch(idx, BATCH);
    do_not_optimize(pool.freeBatch(idx, n));
  });

  bench("mempool allocOne/freeOne x32", () => {
    for (let k = 0; k < BATCH; k++) idx[k] = pool.allocOne();
    for (let k = 0; k < BATCH; k++) pool.freeOne(idx[k] as number);
    do_not_optimize(idx);
  });

  bench("no pool: new Packet + subarray per allocation x32", () => {
    for (let k = 0; k < BATCH; k++) objs[k] = freshPacket();
    do_not_optimize(objs);
  });
});

summary(() => {
  bench("debug mempool allocBatch/freeBatch(32) (poison + ownership)", () => {
    const n = debugPool.allocBatch(idx, BATCH);
    do_not_optimize(debugPool.freeBatch(idx, n));
  });
});

const result = await run({ colors: false, throw: true });
const perBuffer = new Map<string, number>();
console.log("\nper buffer (one alloc + one free):");
for (const trial of result.benchmarks) {
  for (const r of trial.runs) {
    if (!r.stats) continue;
    perBuffer.set(r.name, r.stats.avg / BATCH);
    console.log(`  ${(r.stats.avg / BATCH).toFixed(2).padStart(7)} ns  ${r.name}`);
  }
}
const batched = perBuffer.get(BATCHED) ?? Number.NaN;
const ratio = (perBuffer.get(NAIVE) ?? Number.NaN) / batched;
const verdict = (ok: boolean) => (ok ? "met" : "NOT met");
console.log(
  `\ntargets: ${batched.toFixed(2)} ns per buffer (< 5 ns: ${verdict(batched < 5)}); ` +
    `${ratio.toFixed(1)}x the naive object-per-buffer pool (10x: ${verdict(ratio >= 10)})`,
);
