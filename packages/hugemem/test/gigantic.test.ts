import { expect, test } from "bun:test";
import { Pagemap } from "@dataplane/pagemap";
import { allocate, reserve, status } from "../src/index.ts";
import { freeBecomes, freePages, isRoot, PAGE_1G } from "./helpers.ts";

// 1 GiB pages exist only where the CPU and the boot command line allow them. When none can be
// had, the test says so plainly and passes; it fails (also in CI) when the pool has a free page
// and allocation still does not work.
test("1 GiB pages: allocated, aligned, contiguous inside, and returned", async () => {
  const pool = status().pools.find((p) => p.pageSize === PAGE_1G);
  if (pool === undefined) {
    console.warn(
      "1 GiB pages: NOT TESTED, this kernel has no 1 GiB pool (boot with hugepagesz=1G hugepages=1)",
    );
    return;
  }
  let grown = false;
  if (pool.available < 1 && isRoot()) {
    grown = reserve(pool.total + 1, "1G").total > pool.total;
  }
  try {
    if ((status().pools.find((p) => p.pageSize === PAGE_1G)?.available ?? 0) < 1) {
      console.warn(
        `1 GiB pages: NOT TESTED, could not reserve one (pool ${pool.total}, free ${pool.free}; memory too fragmented or not root)`,
      );
      return;
    }
    const start = freePages(PAGE_1G);
    {
      using region = allocate({ bytes: 1, pageSize: "1G", name: "giant" });
      expect(region.bytes).toBe(PAGE_1G);
      expect(region.pageSize).toBe(PAGE_1G);
      expect(region.address % PAGE_1G).toBe(0);
      expect(freePages(PAGE_1G)).toBe(start - 1);
      if (isRoot()) {
        const head = region.pages[0] as number;
        expect(head % PAGE_1G).toBe(0);
        using pm = Pagemap.open("self", { learnPageSize: false });
        for (const offset of [4096, 2 * 1024 * 1024, PAGE_1G / 2 + 12, PAGE_1G - 1]) {
          expect(pm.translate(region.address + offset)).toBe(head + offset);
          expect(region.physicalAddress(offset)).toBe(head + offset);
        }
        expect(region.segments()).toEqual([{ physical: head, bytes: PAGE_1G }]);
      }
      expect(() => region.u32).not.toThrow();
    }
    expect(await freeBecomes(start, PAGE_1G)).toBe(start);
  } finally {
    if (grown) reserve(pool.total, "1G", { shrink: true });
  }
}, 60_000);
