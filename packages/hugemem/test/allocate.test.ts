import { describe, expect, test } from "bun:test";
import { readdirSync } from "node:fs";
import { Pagemap } from "@dataplane/pagemap";
import { constants as C, mmap, munmap } from "@dataplane/sys";
import { allocate, type Backing, HugememError, status } from "../src/index.ts";
import { freeBecomes, freePages, isRoot, meminfoFree, need, PAGE_2M } from "./helpers.ts";

const BACKINGS: Backing[] = ["memfd", "hugetlbfs", "anonymous"];
const hasMount2M = () => status().mounts.some((m) => m.pageSize === PAGE_2M);

describe("allocate()", () => {
  for (const backing of BACKINGS) {
    test(`${backing}: pages are taken from the pool, locked, huge, and returned on close`, () => {
      if (!need("root and 3 free 2 MiB hugepages", isRoot() && freePages() >= 3)) return;
      if (backing === "hugetlbfs" && !need("a 2M hugetlbfs mount", hasMount2M())) return;
      const start = meminfoFree();
      const region = allocate({ bytes: 5 * 1024 * 1024, backing, name: "test-alloc" });
      expect(region.bytes).toBe(3 * PAGE_2M); // rounded up to whole pages
      expect(region.pageSize).toBe(PAGE_2M);
      expect(region.backing).toBe(backing);
      expect(region.fd >= 0).toBe(backing !== "anonymous");
      expect(region.fdOffset).toBe(0);
      expect(region.address % PAGE_2M).toBe(0);
      expect(meminfoFree()).toBe(start - 3);

      // pages[] and physicalAddress() agree with an independent pagemap read.
      using pm = Pagemap.open("self", { learnPageSize: false });
      expect(region.pages.length).toBe(3);
      for (let i = 0; i < 3; i++) {
        expect(region.pages[i]).toBe(pm.translate(region.address + i * PAGE_2M));
        expect((region.pages[i] as number) % PAGE_2M).toBe(0);
      }
      for (const offset of [0, 1, 4095, 4096, PAGE_2M - 1, PAGE_2M + 12345, 3 * PAGE_2M - 1]) {
        expect(region.physicalAddress(offset)).toBe(pm.translate(region.address + offset));
      }
      region.u32[1] = 0xcafef00d;
      expect(region.u8[4]).toBe(0x0d);
      expect(region.view(PAGE_2M, 16).length).toBe(16);

      region.close();
      region.close(); // idempotent
      expect(region.fd).toBe(-1);
      expect(meminfoFree()).toBe(start);
    });
  }

  test("a memfd region mapped a second time through region.fd shows the same physical pages", () => {
    if (!need("root and 2 free 2 MiB hugepages", isRoot() && freePages() >= 2)) return;
    using region = allocate({ bytes: 2 * PAGE_2M });
    const again = mmap(
      region.bytes,
      C.PROT_READ | C.PROT_WRITE,
      C.MAP_SHARED | C.MAP_POPULATE,
      region.fd,
      region.fdOffset,
    );
    try {
      using pm = Pagemap.open("self", { learnPageSize: false });
      for (let i = 0; i < 2; i++)
        expect(pm.translate(again + i * PAGE_2M + 64)).toBe((region.pages[i] as number) + 64);
    } finally {
      munmap(again, region.bytes);
    }
  });

  test("segments() merges physically adjacent pages and covers the region once", () => {
    if (!need("root and 6 free 2 MiB hugepages", isRoot() && freePages() >= 6)) return;
    using region = allocate({ bytes: 6 * PAGE_2M });
    const segments = region.segments();
    expect(segments.reduce((a, s) => a + s.bytes, 0)).toBe(region.bytes);
    let page = 0;
    for (const [k, s] of segments.entries()) {
      // Inside a segment pages follow each other; between segments they do not.
      for (let off = 0; off < s.bytes; off += PAGE_2M)
        expect(region.pages[page++]).toBe(s.physical + off);
      const next = segments[k + 1];
      if (next !== undefined) expect(next.physical).not.toBe(s.physical + s.bytes);
    }
    expect(region.contiguous).toBe(segments.length === 1);
  });

  test("a hugetlbfs region leaves no file behind, also when allocation fails", () => {
    const mount = status().mounts.find((m) => m.pageSize === PAGE_2M)?.path;
    if (
      !need("root and a 2M hugetlbfs mount", isRoot() && mount !== undefined) ||
      mount === undefined
    )
      return;
    const before = readdirSync(mount);
    {
      using region = allocate({ bytes: PAGE_2M, backing: "hugetlbfs", name: "leak-check" });
      expect(region.fd >= 0).toBe(true);
      expect(readdirSync(mount)).toEqual(before);
    }
    const tooMany = (freePages() + 1) * PAGE_2M;
    expect(() =>
      allocate({ bytes: tooMany, backing: "hugetlbfs", name: "leak-check", mount }),
    ).toThrow(HugememError);
    expect(readdirSync(mount)).toEqual(before);
  });

  test("using releases the pages at the end of the block; views after close are refused", async () => {
    if (!need("root and a free 2 MiB hugepage", isRoot() && freePages() >= 1)) return;
    const start = freePages();
    let kept: ReturnType<typeof allocate> | null = null;
    {
      using region = allocate({ bytes: 1 });
      kept = region;
      expect(freePages()).toBe(start - 1);
    }
    expect(await freeBecomes(start)).toBe(start);
    expect(() => kept?.u8).toThrow(HugememError);
    expect(() => kept?.physicalAddress(0)).toThrow("after close");
  });
});
