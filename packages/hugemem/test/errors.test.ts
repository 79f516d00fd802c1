import { describe, expect, test } from "bun:test";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { constants as C, mmap, munmap } from "@dataplane/sys";
import { allocate, reserve, status, verifyHugeBacking } from "../src/index.ts";
import { errorOf, freePages, isRoot, need, PAGE_1G, PAGE_2M, runAsNobody } from "./helpers.ts";

describe("errors, each with its fix", () => {
  test("BAD_SIZE: byte counts, page sizes, page counts", () => {
    for (const bytes of [0, -4096, 1.5, Number.NaN, 2 ** 60])
      expect(errorOf(() => allocate({ bytes })).code).toBe("BAD_SIZE");
    // @ts-expect-error 3M is not a page size
    expect(errorOf(() => allocate({ bytes: 1, pageSize: "3M" })).message).toContain(
      'use "2M" or "1G"',
    );
    // @ts-expect-error not a backing
    expect(errorOf(() => allocate({ bytes: 1, backing: "tmpfs" })).code).toBe("BAD_SIZE");
    expect(errorOf(() => reserve(-1)).code).toBe("BAD_SIZE");
    expect(errorOf(() => reserve(2.5)).code).toBe("BAD_SIZE");
  });

  test("NO_POOL: a page size this kernel has no pool for (16 MiB on x86-64)", () => {
    // @ts-expect-error 16M is a valid size elsewhere (ppc64), not one the allocator type offers
    const e = errorOf(() => allocate({ bytes: 1, pageSize: "16M" }));
    expect(e.code).toBe("NO_POOL");
    expect(e.message).toContain("hugepages-16384kB");
    expect(errorOf(() => reserve(1, 16 * 1024 * 1024)).code).toBe("NO_POOL");
  });

  test("NOT_ENOUGH_PAGES: says free and needed, and the exact command", () => {
    const pool = status().pools.find((p) => p.pageSize === PAGE_2M);
    if (!need("a 2 MiB pool", pool !== undefined) || pool === undefined) return;
    const pages = pool.total + 1;
    const e = errorOf(() => allocate({ bytes: pages * PAGE_2M }));
    expect(e.code).toBe("NOT_ENOUGH_PAGES");
    expect(e.message).toContain(`${pages} free 2M hugepages needed`);
    expect(e.message).toMatch(
      /echo [0-9]+ > \/sys\/kernel\/mm\/hugepages\/hugepages-2048kB\/nr_hugepages/,
    );
    expect(e.message).toMatch(/bunx @dataplane\/hugemem reserve [0-9]+ --size 2M/);
    const giant = status().pools.find((p) => p.pageSize === PAGE_1G);
    if (giant !== undefined) {
      const g = errorOf(() => allocate({ bytes: (giant.total + 1) * PAGE_1G, pageSize: "1G" }));
      expect(g.code).toBe("NOT_ENOUGH_PAGES");
      expect(g.message).toContain("hugepages-1048576kB");
    }
  });

  test("NO_HUGETLBFS_MOUNT: a directory that is not hugetlbfs, and a size with no mount", () => {
    for (const mount of ["/tmp", "/nonexistent/huge"]) {
      const e = errorOf(() => allocate({ bytes: 1, backing: "hugetlbfs", mount }));
      expect(e.code).toBe("NO_HUGETLBFS_MOUNT");
      expect(e.message).toContain(`mount -t hugetlbfs -o pagesize=2M nodev ${mount}`);
    }
    const has1G = status().mounts.some((m) => m.pageSize === PAGE_1G);
    if (!has1G) {
      const e = errorOf(() => allocate({ bytes: 1, pageSize: "1G", backing: "hugetlbfs" }));
      // A kernel without a 1 GiB pool at all says so first (NO_POOL); with one, the mount is missing.
      const pool1G = existsSync("/sys/kernel/mm/hugepages/hugepages-1048576kB");
      expect(e.code).toBe(pool1G ? "NO_HUGETLBFS_MOUNT" : "NO_POOL");
      expect(e.message).toContain(pool1G ? "pagesize=1G" : "hugepagesz=1G");
    }
  });

  test("NOT_HUGE: 4 KiB pages, a misaligned range and the wrong huge size are refused", () => {
    if (!need("root and a free 2 MiB hugepage", isRoot() && freePages() >= 1)) return;
    const small = mmap(
      2 * PAGE_2M,
      C.PROT_READ | C.PROT_WRITE,
      C.MAP_PRIVATE | C.MAP_ANONYMOUS | C.MAP_POPULATE,
    );
    try {
      const aligned = Math.ceil(small / PAGE_2M) * PAGE_2M;
      const e = errorOf(() => verifyHugeBacking(aligned, PAGE_2M, PAGE_2M));
      expect(e.code).toBe("NOT_HUGE");
      expect(e.message).toContain("not a hugetlb page head");
      expect(errorOf(() => verifyHugeBacking(aligned + 4096, PAGE_2M, PAGE_2M)).code).toBe(
        "NOT_HUGE",
      );
    } finally {
      munmap(small, 2 * PAGE_2M);
    }
    using region = allocate({ bytes: PAGE_2M });
    expect(verifyHugeBacking(region.address, region.bytes, PAGE_2M)).toBe("kpageflags");
    expect(errorOf(() => verifyHugeBacking(region.address, PAGE_1G, PAGE_1G)).code).toBe(
      "NOT_HUGE",
    );
  });

  test("BAD_OFFSET and CLOSED on a region", () => {
    if (!need("root and a free 2 MiB hugepage", isRoot() && freePages() >= 1)) return;
    const region = allocate({ bytes: PAGE_2M });
    expect(errorOf(() => region.physicalAddress(-1)).code).toBe("BAD_OFFSET");
    expect(errorOf(() => region.physicalAddress(PAGE_2M)).code).toBe("BAD_OFFSET");
    expect(errorOf(() => region.view(PAGE_2M - 4, 8)).code).toBe("BAD_OFFSET");
    region.close();
    expect(errorOf(() => region.physicalAddress(0)).code).toBe("CLOSED");
    expect(errorOf(() => region.view(0, 8)).code).toBe("CLOSED");
  });

  test("NOT_ROOT as nobody: reserve gives the command, contiguous and physical addresses need root; smaps proves backing", () => {
    if (
      !need(
        "root (to drop privileges with setpriv) and 3 free 2 MiB hugepages",
        isRoot() && freePages() >= 3,
      )
    )
      return;
    const r = runAsNobody(join(import.meta.dir, "fixtures/nonroot.ts"));
    expect(r.stderr).toBe("");
    const out = JSON.parse(r.stdout) as Record<string, string | number>;
    expect(out.reserve).toStartWith("NOT_ROOT");
    expect(out.reserve).toContain(
      "echo 4 > /sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages",
    );
    expect(out.contiguous).toStartWith("NOT_ROOT");
    expect(out.smallPages).toStartWith("NOT_HUGE");
    expect(out.smallPages).toContain("uses 4K pages");
    expect(out.pages).toBe(0);
    expect(out.proof).toBe("ok smaps");
    expect(out.physical).toStartWith("NOT_ROOT");
  });
});
