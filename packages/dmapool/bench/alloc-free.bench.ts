/*
 * Single and batch-32 alloc + free of small DMA blocks, against a baseline that keeps free
 * blocks as objects in a JS array (what a straightforward pool would do), in the same summary.
 * Ordinary memory of hugepage shape, so no hugepages are needed.
 *
 *   bun bench/alloc-free.bench.ts        (from packages/dmapool)
 */
import { bench, do_not_optimize, run, summary } from "mitata";
import { DmaPool } from "../src/index.ts";

const PAGE = 2 * 1024 * 1024;
const u8 = new Uint8Array(PAGE);
const memory = {
  address: 0,
  bytes: PAGE,
  pageSize: PAGE,
  u8,
  physicalAddress: (o: number) => 0x1_0000_0000 + o,
};
const pool = new DmaPool({
  memory,
  dma: { kind: "physical" },
  blockSize: 256,
  align: 64,
  boundary: 4096,
});
const batch = new Uint32Array(32);

const naiveFree: { offset: number; device: number }[] = [];
for (let i = 0; i < pool.count; i++)
  naiveFree.push({ offset: pool.offset[i] as number, device: pool.deviceAddress(i) });
const taken: { offset: number; device: number }[] = [];

summary(() => {
  bench("naive: array of block objects, pop 32 + push 32 (baseline)", () => {
    for (let i = 0; i < 32; i++) taken.push(naiveFree.pop() as { offset: number; device: number });
    for (let i = 0; i < 32; i++) naiveFree.push(taken.pop() as { offset: number; device: number });
    do_not_optimize(taken);
  });
  bench("DmaPool: allocBatch 32 + freeBatch 32", () => {
    pool.allocBatch(batch);
    pool.freeBatch(batch);
    do_not_optimize(batch);
  });
  bench("DmaPool: allocOne + free, 32 times", () => {
    for (let i = 0; i < 32; i++) pool.free(pool.allocOne());
  });
});

await run();
