import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import { viewOf } from "@dataplane/sys";
import { Pagemap, PagemapError } from "../src/index.ts";
import { hugeMapping, isRoot, need, PAGE_2M, runAsNobody, smallMapping } from "./helpers.ts";

const codeOf = (f: () => unknown): string | undefined => {
  try {
    f();
  } catch (e) {
    if (e instanceof PagemapError) return e.code;
    throw e;
  }
  return undefined;
};

describe("Pagemap on hugepages (root)", () => {
  test("pages inside one huge page translate contiguously; the head is 2 MiB aligned", () => {
    using m = hugeMapping(2);
    if (!need("root and 2 free 2 MiB hugepages", isRoot() && m !== null) || m === null) return;
    using pm = Pagemap.open("self", { learnPageSize: false });
    for (let page = 0; page < 2; page++) {
      const base = pm.translate(m.address + page * PAGE_2M);
      expect(base % PAGE_2M).toBe(0);
      for (const k of [1, 2, 100, 511]) {
        expect(pm.translate(m.address + page * PAGE_2M + k * 4096 + 123)).toBe(
          base + k * 4096 + 123,
        );
      }
    }
  });

  test("translateRange equals page-by-page translate, from one read or from the cache", () => {
    using m = hugeMapping(2);
    if (!need("root and 2 free 2 MiB hugepages", isRoot() && m !== null) || m === null) return;
    const pages = 1024;
    using plain = Pagemap.open("self", { learnPageSize: false });
    const expected = Array.from({ length: pages }, (_, i) =>
      plain.translate(m.address + 8 + i * 4096),
    );
    const out = new Float64Array(pages);
    expect(plain.translateRange(m.address + 8, pages, out)).toBe(pages);
    expect(Array.from(out)).toEqual(expected);
    expect(plain.cachedHugePages).toBe(0);

    using stated = Pagemap.open("self", { pageSize: PAGE_2M, learnPageSize: false });
    stated.translate(m.address);
    stated.translate(m.address + PAGE_2M);
    expect(stated.cachedHugePages).toBe(2);
    out.fill(0);
    stated.translateRange(m.address + 8, pages, out); // served from the cache
    expect(Array.from(out)).toEqual(expected);
  });

  test("the huge page size is learned from kpageflags and cached", () => {
    using m = hugeMapping(1);
    if (!need("root and a free 2 MiB hugepage", isRoot() && m !== null) || m === null) return;
    using pm = Pagemap.open();
    const head = pm.translate(m.address + 5 * 4096);
    expect(pm.cachedHugePages).toBe(1);
    expect(pm.translate(m.address)).toBe(head - 5 * 4096);
    expect(pm.translate(m.address + PAGE_2M - 1)).toBe(head - 5 * 4096 + PAGE_2M - 1);
    pm.clearCache();
    expect(pm.cachedHugePages).toBe(0);
  });

  test("a stated page size that the memory does not have is BAD_PAGE_SIZE", () => {
    using m = hugeMapping(1);
    if (!need("root and a free 2 MiB hugepage", isRoot() && m !== null) || m === null) return;
    using small = smallMapping(1);
    new Uint8Array(viewOf(small.address, 4096))[0] = 1;
    using probe = Pagemap.open("self", { learnPageSize: false });
    // A claim is caught when the physical address cannot start a page of the claimed size at that
    // virtual offset. Each candidate fails that test by chance 1 in 512, so try two of them.
    const candidates: [number, number][] = [
      [m.address, 2 ** 30],
      [small.address, PAGE_2M],
    ];
    const wrong = candidates.find(([va, size]) => (probe.translate(va) - (va % size)) % size !== 0);
    expect(wrong).toBeDefined();
    const [va, size] = wrong ?? [0, 0];
    using pm = Pagemap.open("self", { learnPageSize: false });
    expect(codeOf(() => pm.translate(va, size))).toBe("BAD_PAGE_SIZE");
    expect(pm.cachedHugePages).toBe(0);
  });
});

describe("Pagemap errors", () => {
  test("an untouched page is NOT_PRESENT with the fix, never address 0", () => {
    using m = smallMapping(2);
    using pm = Pagemap.open();
    expect(pm.entry(m.address).present).toBe(false);
    let error: unknown;
    try {
      pm.translate(m.address + 4096);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(PagemapError);
    expect((error as PagemapError).code).toBe("NOT_PRESENT");
    expect((error as PagemapError).message).toContain("touch");
    expect(codeOf(() => pm.translateRange(m.address, 2, new Float64Array(2)))).toBe("NOT_PRESENT");
  });

  test("touching a page makes it present; entry() shows the flags", () => {
    using m = smallMapping(1);
    new Uint8Array(viewOf(m.address, 4096))[0] = 1;
    using pm = Pagemap.open();
    const e = pm.entry(m.address);
    expect(e.present).toBe(true);
    expect(e.swapped).toBe(false);
    expect(e.exclusive).toBe(true);
    expect(e.fileOrShared).toBe(false);
    if (isRoot()) expect(pm.translate(m.address)).toBe(e.pfn * 4096);
  });

  test("a pid that does not exist is NO_PROCESS", () => {
    expect(codeOf(() => Pagemap.open(999_999_999))).toBe("NO_PROCESS");
    expect(codeOf(() => Pagemap.open(-4))).toBe("NO_PROCESS");
    expect(codeOf(() => Pagemap.open(1.5))).toBe("NO_PROCESS");
  });

  test("another process's pagemap can be read by pid", () => {
    using pm = Pagemap.open(process.pid);
    using m = smallMapping(1);
    new Uint8Array(viewOf(m.address, 4096))[0] = 1;
    expect(pm.entry(m.address).present).toBe(true);
  });

  test("bad addresses and counts are BAD_ADDRESS; use after close is CLOSED; close is idempotent", () => {
    const pm = Pagemap.open();
    expect(codeOf(() => pm.translate(-4096))).toBe("BAD_ADDRESS");
    expect(codeOf(() => pm.translate(2 ** 57))).toBe("BAD_ADDRESS");
    expect(codeOf(() => pm.readEntries(0, 0, new Uint32Array(2)))).toBe("BAD_ADDRESS");
    expect(codeOf(() => pm.translateRange(0, 4, new Float64Array(2)))).toBe("BAD_ADDRESS");
    pm.close();
    pm.close();
    expect(codeOf(() => pm.entry(0))).toBe("CLOSED");
  });

  test("as non-root, present pages are PFN_HIDDEN (with the fix) and kpageflags is NO_KPAGEFLAGS", () => {
    if (!need("root (to drop privileges with setpriv)", isRoot())) return;
    const r = runAsNobody(join(import.meta.dir, "fixtures/nonroot.ts"));
    expect(r.stderr).toBe("");
    const out = JSON.parse(r.stdout) as Record<string, string | number | boolean>;
    expect(out.present).toBe(true);
    expect(out.pfn).toBe(0);
    expect(String(out.translate)).toStartWith("PFN_HIDDEN");
    expect(String(out.translate)).toContain("CAP_SYS_ADMIN");
    expect(String(out.kpageflags)).toStartWith("NO_KPAGEFLAGS");
    expect(String(out.init)).toStartWith("NO_ACCESS");
  });
});
