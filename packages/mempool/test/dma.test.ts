/*
 * Pools over real 2 MiB hugepages from @dataplane/hugemem, with DMA addresses checked against
 * /proc/self/pagemap read independently of both packages.
 */
import { expect } from "bun:test";
import { readFileSync } from "node:fs";
import { allocate } from "@dataplane/hugemem";
import { allocateMempool, Mempool, MempoolError, type MempoolMemory } from "../src/index.ts";
import { hugeTest } from "./support/huge-test.ts";
import { HUGE_2M, pagemapPhysical } from "./support/memory.ts";

function layoutProblems(pool: Mempool, address: number, bytes: number): string[] {
  const phys = pagemapPhysical(address, bytes); // one entry per 4 KiB page
  const bad: string[] = [];
  for (let i = 0; i < pool.count; i++) {
    const off = pool.dataOffset[i] as number;
    const expected = (phys[Math.floor(off / 4096)] as number) + (off % 4096);
    const got = (pool.dmaHi[i] as number) * 2 ** 32 + (pool.dmaLo[i] as number);
    const bufStart = off - pool.headroom;
    const bufEnd = bufStart + pool.bufferSize - 1;
    // The buffer's last byte is physically where a contiguous run says it is.
    const lastPhys = (phys[Math.floor(bufEnd / 4096)] as number) + (bufEnd % 4096);
    if (got !== expected) bad.push(`buffer ${i}: dma ${got} != pagemap ${expected}`);
    if (got % 64 !== 0) bad.push(`buffer ${i}: dma not 64-byte aligned`);
    if (lastPhys - (got - pool.headroom) !== pool.bufferSize - 1) bad.push(`buffer ${i}: split`);
    if (Math.floor(bufStart / HUGE_2M) !== Math.floor(bufEnd / HUGE_2M))
      bad.push(`${i}: straddles`);
  }
  return bad;
}

hugeTest(
  "physical pool: every DMA address is the pagemap physical address of the data start",
  () => {
    using region = allocate({ bytes: 2 * HUGE_2M, pageSize: "2M" });
    const memory: MempoolMemory = region; // a HugeRegion is a MempoolMemory
    using pool = Mempool.create({ memory, dma: { kind: "physical" } });
    expect(pool.count).toBe(2048);
    expect(layoutProblems(pool, region.address, region.bytes)).toEqual([]);
  },
);

hugeTest("allocateMempool: sized memory, physical addresses, pages released on close", () => {
  const pool = allocateMempool({ count: 1500, dma: { kind: "physical" }, debug: true });
  const address = pool.dataAddress(0) - pool.headroom;
  const mapping = `${address.toString(16)}-${(address + 2 * HUGE_2M).toString(16)} `;
  try {
    expect(pool.count).toBe(1500);
    expect(pool.u8.byteLength).toBe(2 * HUGE_2M); // 1500 x 2 KiB rounded up to 2 MiB pages
    expect(layoutProblems(pool, address, 2 * HUGE_2M)).toEqual([]);
    expect(readFileSync("/proc/self/maps", "utf8")).toContain(mapping);
  } finally {
    pool.close();
  }
  expect(readFileSync("/proc/self/maps", "utf8")).not.toContain(mapping);
});

hugeTest("allocateMempool: the dma function sees the region; failures release it", () => {
  let seen = 0;
  using pool = allocateMempool({
    count: 64,
    dma: (region) => {
      seen = region.address;
      return { kind: "iova", base: region.address }; // identity IOVA, as under kernel VFIO
    },
  });
  expect(pool.dmaAddress(3)).toBe(seen + 3 * 2048 + 128);
  expect(pool.dataAddress(3)).toBe(seen + 3 * 2048 + 128);
  let code = "";
  try {
    allocateMempool({ count: 64, bufferSize: 3000, dma: { kind: "physical" } });
  } catch (e) {
    code = (e as MempoolError).code;
  }
  expect(code).toBe("BAD_SIZE");
  expect(() => allocateMempool({ count: 0, dma: { kind: "physical" } })).toThrow(MempoolError);
});

hugeTest("TOO_SMALL on a hugepage region names the fit and the bytes needed", () => {
  using region = allocate({ bytes: HUGE_2M, pageSize: "2M" });
  let caught: unknown;
  try {
    Mempool.create({ memory: region, dma: { kind: "physical" }, count: 4096 });
  } catch (e) {
    caught = e;
  }
  expect(caught).toBeInstanceOf(MempoolError);
  expect((caught as MempoolError).code).toBe("TOO_SMALL");
  expect((caught as MempoolError).message).toContain("holds 1024 buffers");
  expect((caught as MempoolError).message).toContain("4 pages of 2097152 B");
});
