import { describe, expect, test } from "bun:test";
import { Pagemap } from "@dataplane/pagemap";
import { constants as C, mmap, munmap, viewOf } from "@dataplane/sys";
import { allocate } from "../src/index.ts";
import { freePages, isRoot, need, PAGE_2M } from "./helpers.ts";

const PAGES = 64;

/** Segments the physical memory itself allows: breaks between the sorted page addresses, plus one. */
function physicalRuns(pages: Float64Array): number {
  const sorted = [...pages].sort((a, b) => a - b);
  let runs = 1;
  for (let i = 1; i < sorted.length; i++)
    if (sorted[i] !== (sorted[i - 1] as number) + PAGE_2M) runs++;
  return runs;
}

describe("shortest SG list per backing", () => {
  test("anonymous: pages are moved into physical order, one segment per physical run", () => {
    if (!need(`root and ${PAGES} free 2 MiB hugepages`, isRoot() && freePages() >= PAGES)) return;
    using region = allocate({ bytes: PAGES * PAGE_2M, backing: "anonymous", name: "order" });
    for (let i = 1; i < PAGES; i++) {
      expect(region.pages[i] as number).toBeGreaterThan(region.pages[i - 1] as number);
    }
    expect(region.segments().length).toBe(physicalRuns(region.pages));
    expect(region.address % PAGE_2M).toBe(0);
    // The moved mapping is the memory: pagemap agrees page by page, and it reads back what is written.
    using pm = Pagemap.open("self", { learnPageSize: false });
    for (let i = 0; i < PAGES; i++) {
      expect(pm.translate(region.address + i * PAGE_2M)).toBe(region.pages[i] as number);
    }
    region.u32[PAGES * (PAGE_2M / 4) - 1] = 0x12345678;
    expect(region.view(PAGES * PAGE_2M - 4, 4)[0]).toBe(0x78);
    expect(region.timings.mapMs).toBeGreaterThan(0);
  });

  test("memfd keeps file order (fd and fdOffset describe the region byte for byte)", () => {
    if (!need(`root and 8 free 2 MiB hugepages`, isRoot() && freePages() >= 8)) return;
    using region = allocate({ bytes: 8 * PAGE_2M, name: "order" });
    expect(region.fd).toBeGreaterThanOrEqual(0);
    expect(region.segments().length).toBeGreaterThanOrEqual(physicalRuns(region.pages));
  });
});

describe("memfd with physicalOrder: pages drawn again in physical order", () => {
  test("the region stays one file range, every page where pagemap says, proven huge", () => {
    if (!need("root and 32 free 2 MiB hugepages", isRoot() && freePages() >= 32)) return;
    using region = allocate({ bytes: 32 * PAGE_2M, name: "order", physicalOrder: true });
    expect(region.fd).toBeGreaterThanOrEqual(0);
    using pm = Pagemap.open("self", { learnPageSize: false });
    for (let i = 0; i < 32; i++) {
      expect(pm.translate(region.address + i * PAGE_2M)).toBe(region.pages[i] as number);
    }
    // The fd still holds the same memory, byte for byte.
    region.u8[5 * PAGE_2M + 7] = 0x42;
    const again = mmap(32 * PAGE_2M, C.PROT_READ, C.MAP_SHARED, region.fd, 0);
    try {
      expect(new Uint8Array(viewOf(again, 32 * PAGE_2M))[5 * PAGE_2M + 7]).toBe(0x42);
    } finally {
      munmap(again, 32 * PAGE_2M);
    }
  });
});
