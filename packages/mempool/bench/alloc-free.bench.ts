/*
 * Batch-32 alloc + free: the index pool against a naive pool of Packet objects kept in a JS
 * array (pop to allocate, push to free), plus one that makes a new Packet per allocation.
 * One iteration moves 32 buffers out and back, so
 * ns per buffer = ns per iteration / 32 (printed at the end).
 *
 *   bun bench/alloc-free.bench.ts        (from packages/mempool)
 */

import { allocate } from "@dataplane/hugemem";
import { bench, do_not_optimize, run, summary } from "mitata";
import { Mempool, type MempoolMemory } from "../src/index.ts";
import { plainMemory } from "../test/support/memory.ts";

const COUNT = 4096;
const BATCH = 32;

/** The object-per-buffer design: what a straightforward JS pool looks like. */
class Packet {
  len = 0;
  constructor(
    readonly index: number,
    readonly data: Uint8Array,
    readonly dmaAddress: number,
  ) {}
}

class NaivePool {
  private readonly free: Packet[] = [];
  constructor(u8: Uint8Array, count: number, base: number) {
    for (let i = 0; i < count; i++) {
      const off = i * 2048 + 128;
      this.free.push(new Packet(i, u8.subarray(off, off + 1920), base + off));
    }
  }
  alloc(): Packet | undefined {
    return this.free.pop();
  }
  release(p: Packet): void {
    this.free.push(p);
  }
}

function memory(): MempoolMemory & Disposable {
  try {
    return allocate({ bytes: COUNT * 2048, pageSize: "2M" }); // 4 x 2 MiB pages
  } catch (e) {
    console.warn(`no hugepages (${(e as Error).message}); using 4 KiB pages`);
    return plainMemory(COUNT * 2048);
  }
}

using mem = memory();
using pool = Mempool.create({
  memory: mem,
  dma: { kind: "iova", base: mem.address },
  count: COUNT,
});
using debugPool = Mempool.create({
  memory: mem,
  dma: { kind: "iova", base: mem.address },
  count: COUNT,
  debug: true,
});
const naive = new NaivePool(mem.u8, COUNT, mem.address);
// Even more naive: a fresh Packet (and subarray view) per allocation, left to the GC on free.
const fresh = { next: 0, u8: mem.u8, base: mem.address };
function freshPacket(): Packet {
  const i = fresh.next;
  fresh.next = (i + 1) & (COUNT - 1);
  const off = i * 2048 + 128;
  return new Packet(i, fresh.u8.subarray(off, off + 1920), fresh.base + off);
}
const idx = new Uint32Array(BATCH);
const objs: Packet[] = new Array(BATCH);

summary(() => {
  bench("naive Packet objects, pop/push x32", () => {
    for (let k = 0; k < BATCH; k++) objs[k] = naive.alloc() as Packet;
    for (let k = 0; k < BATCH; k++) naive.release(objs[k] as Packet);
    do_not_optimize(objs);
  }).baseline(true);

  bench("naive new Packet per alloc x32", () => {
    for (let k = 0; k < BATCH; k++) objs[k] = freshPacket();
    do_not_optimize(objs);
  });

  bench("mempool allocBatch/freeBatch(32)", () => {
    const n = pool.allocBatch(idx, BATCH);
    do_not_optimize(pool.freeBatch(idx, n));
  });

  bench("mempool allocOne/freeOne x32", () => {
    for (let k = 0; k < BATCH; k++) idx[k] = pool.allocOne();
    for (let k = 0; k < BATCH; k++) pool.freeOne(idx[k] as number);
    do_not_optimize(idx);
  });
});

summary(() => {
  bench("debug mempool allocBatch/freeBatch(32) (poison + ownership)", () => {
    const n = debugPool.allocBatch(idx, BATCH);
    do_not_optimize(debugPool.freeBatch(idx, n));
  });
});

const result = await run({ colors: false, throw: true });
console.log("\nper buffer (one alloc + one free):");
for (const trial of result.benchmarks) {
  for (const r of trial.runs) {
    if (r.stats) console.log(`  ${(r.stats.avg / BATCH).toFixed(2).padStart(7)} ns  ${r.name}`);
  }
}
