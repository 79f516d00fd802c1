/* The README's usage example, run as written (the first ```ts block must match the marked code). */
import { expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { allocateMempool, NO_BUFFER } from "../src/index.ts";
import { hugeTest } from "./support/huge-test.ts";

function example(): { available: number; first: number; len: number } {
  // README:begin
  using pool = allocateMempool({ count: 4096, dma: { kind: "physical" } });
  const batch = new Uint32Array(32); // caller-owned, reused for every batch
  const n = pool.allocBatch(batch, 32); // partial: fewer than 32 when the pool runs low
  for (let k = 0; k < n; k++) {
    const i = batch[k] as number;
    const data = pool.dataOffset[i] as number; // byte offset of the data in pool.u8
    pool.u8.fill(0xff, data, data + 6); // e.g. a broadcast destination MAC
    pool.len[i] = 60;
    // a descriptor gets pool.dmaLo[i] and pool.dmaHi[i]: the device address of the data
  }
  const one = pool.allocOne(); // NO_BUFFER when empty
  if (one !== NO_BUFFER) pool.freeOne(one);
  pool.freeBatch(batch, n);
  // README:end
  return {
    available: pool.available,
    first: pool.u8[pool.offset(batch[0] as number)] as number,
    len: n,
  };
}

test("README example matches the code below", () => {
  const readme = readFileSync(new URL("../README.md", import.meta.url), "utf8");
  const block = /```ts\n([\s\S]*?)```/.exec(readme)?.[1] ?? "";
  const source = readFileSync(new URL(import.meta.url), "utf8");
  const marked = /\/\/ README:begin\n([\s\S]*?)\s*\/\/ README:end/.exec(source)?.[1] ?? "";
  const body = marked.replace(/^ {2}/gm, "").trim();
  expect(body.length).toBeGreaterThan(100);
  expect(block).toContain(body);
});

hugeTest("README example runs and leaves the pool whole", () => {
  const r = example();
  expect(r).toEqual({ available: 4096, first: 0xff, len: 32 });
});
