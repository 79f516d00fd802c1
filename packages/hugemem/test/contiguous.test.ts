import { describe, expect, test } from "bun:test";
import { Pagemap } from "@dataplane/pagemap";
import {
  constants as C,
  close,
  ftruncate,
  madvise,
  memfdCreate,
  mmap,
  munmap,
} from "@dataplane/sys";
import { allocate, type Backing, HugememError } from "../src/index.ts";
import { freeBecomes, freePages, isRoot, need, PAGE_2M } from "./helpers.ts";

const MADV_REMOVE = 9;

/** Pages held in a memfd; punch(i) gives page i back to the pool (it goes to the free list head). */
function holdPages(n: number) {
  const fd = memfdCreate("hold", C.MFD_CLOEXEC | C.MFD_HUGETLB | C.MFD_HUGE_2MB);
  ftruncate(fd, n * PAGE_2M);
  const address = mmap(
    n * PAGE_2M,
    C.PROT_READ | C.PROT_WRITE,
    C.MAP_SHARED | C.MAP_POPULATE,
    fd,
    0,
  );
  using pm = Pagemap.open("self", { learnPageSize: false });
  const physical = Array.from({ length: n }, (_, i) => pm.translate(address + i * PAGE_2M));
  const byAddress = Array.from(physical.keys()).sort(
    (a, b) => (physical[a] as number) - (physical[b] as number),
  );
  return {
    physical,
    byAddress,
    punch: (i: number) => madvise(address + i * PAGE_2M, PAGE_2M, MADV_REMOVE),
    [Symbol.dispose]() {
      munmap(address, n * PAGE_2M);
      close(fd);
    },
  };
}

/** Checks every 4 KiB page of the region through pagemap: physical = first + offset. */
function expectContiguous(address: number, bytes: number): void {
  using pm = Pagemap.open("self", { learnPageSize: false });
  const out = new Float64Array(bytes / 4096);
  pm.translateRange(address, out.length, out);
  const first = out[0] as number;
  expect(first % PAGE_2M).toBe(0);
  for (let i = 0; i < out.length; i++)
    if (out[i] !== first + i * 4096) expect(out[i]).toBe(first + i * 4096);
}

describe("contiguous allocation", () => {
  for (const backing of ["memfd", "hugetlbfs", "anonymous"] as Backing[]) {
    test(`${backing}: 8 MiB of 2 MiB pages in one physical run, verified through pagemap`, async () => {
      if (!need("root and 40 free 2 MiB hugepages", isRoot() && freePages() >= 40)) return;
      const start = freePages();
      {
        using region = allocate({ bytes: 8 * 1024 * 1024, contiguous: true, backing });
        expect(region.contiguous).toBe(true);
        expect(region.segments()).toEqual([
          { physical: region.pages[0] as number, bytes: 8 * 1024 * 1024 },
        ]);
        expectContiguous(region.address, region.bytes);
        expect(freePages()).toBe(start - 4); // the extra candidate pages went back at once
        if (region.fd >= 0) {
          // In file order: the fd range [fdOffset, fdOffset + bytes) is the same memory.
          const again = mmap(
            region.bytes,
            C.PROT_READ,
            C.MAP_SHARED | C.MAP_POPULATE,
            region.fd,
            region.fdOffset,
          );
          try {
            expectContiguous(again, region.bytes);
            using pm = Pagemap.open("self", { learnPageSize: false });
            expect(pm.translate(again)).toBe(region.pages[0] as number);
          } finally {
            munmap(again, region.bytes);
          }
        }
      }
      expect(await freeBecomes(start)).toBe(start);
    });
  }

  test("pages that come back out of order are moved into physical order (fd -1)", async () => {
    if (!need("root and 40 free 2 MiB hugepages", isRoot() && freePages() >= 40)) return;
    const start = freePages();
    {
      using held = holdPages(24);
      // Four physically consecutive held pages, given back in a scrambled order.
      const run = held.byAddress.findIndex((_, k) => {
        const at = (j: number) => held.physical[held.byAddress[k + j] as number] as number;
        return k + 3 < held.byAddress.length && at(3) === at(0) + 3 * PAGE_2M;
      });
      if (!need("4 physically consecutive pages among 24", run >= 0)) return;
      for (const j of [1, 3, 0, 2]) held.punch(held.byAddress[run + j] as number);
      using region = allocate({ bytes: 4 * PAGE_2M, contiguous: true, maxCandidates: 4 });
      expect(region.contiguous).toBe(true);
      expect(region.fd).toBe(-1);
      expect(region.pages[0]).toBe(held.physical[held.byAddress[run] as number] as number);
      expectContiguous(region.address, region.bytes);
      region.u8[region.bytes - 1] = 0xab; // the moved pages are usable memory
      expect(region.view(region.bytes - 1, 1)[0]).toBe(0xab);
    }
    expect(await freeBecomes(start)).toBe(start);
  });

  test("NO_CONTIGUOUS_RUN names the longest run, and every candidate page is given back", async () => {
    if (!need("root and 40 free 2 MiB hugepages", isRoot() && freePages() >= 40)) return;
    const start = freePages();
    {
      using held = holdPages(8);
      // Every other page in physical order: no two of them are neighbours.
      for (const k of [0, 2, 4, 6]) held.punch(held.byAddress[k] as number);
      let error: unknown;
      try {
        allocate({ bytes: 4 * PAGE_2M, contiguous: true, maxCandidates: 4 });
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(HugememError);
      expect((error as HugememError).code).toBe("NO_CONTIGUOUS_RUN");
      expect((error as HugememError).message).toContain(
        `longest run is 1 pages (${PAGE_2M} bytes)`,
      );
      expect(freePages()).toBe(start - 4);
    }
    expect(await freeBecomes(start)).toBe(start);
  });

  test("one page is trivially contiguous", () => {
    if (!need("root and a free 2 MiB hugepage", isRoot() && freePages() >= 1)) return;
    using region = allocate({ bytes: 4096, contiguous: true });
    expect(region.contiguous).toBe(true);
    expect(region.segments().length).toBe(1);
  });
});
