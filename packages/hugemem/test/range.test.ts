import { describe, expect, test } from "bun:test";
import { constants as C, mmap, munmap } from "@dataplane/sys";
import { allocate, rangeSegments, summarize } from "../src/index.ts";
import { errorOf, freePages, isRoot, need, PAGE_2M, spawnHolder } from "./helpers.ts";

const hugeFlags = C.MAP_SHARED | C.MAP_ANONYMOUS | C.MAP_HUGETLB | C.MAP_HUGE_2MB;

describe("rangeSegments(): the SG list of memory allocated elsewhere", () => {
  test("a range inside a region: same physical addresses as the region, offsets kept", () => {
    if (!need("root and 3 free 2 MiB hugepages", isRoot() && freePages() >= 3)) return;
    using region = allocate({ bytes: 3 * PAGE_2M, name: "range" });
    const whole = rangeSegments(region.address, region.bytes);
    expect(whole).toEqual(region.segments());
    const sg = rangeSegments(region.address + 100, region.bytes - 300);
    expect(sg[0]?.physical).toBe(region.physicalAddress(100));
    expect(summarize(sg).bytes).toBe(region.bytes - 300);
    const last = sg[sg.length - 1];
    expect((last?.physical ?? 0) + (last?.bytes ?? 0) - 1).toBe(
      region.physicalAddress(region.bytes - 201),
    );
    // Every byte of the SG list is where physicalAddress() says it is.
    let offset = 100;
    for (const s of sg) {
      expect(s.physical).toBe(region.physicalAddress(offset));
      offset += s.bytes;
    }
  });

  test("ordinary 4 KiB memory fails NOT_HUGE naming the page", () => {
    if (!need("root", isRoot())) return;
    const bytes = 2 * PAGE_2M;
    const va = mmap(
      bytes,
      C.PROT_READ | C.PROT_WRITE,
      C.MAP_PRIVATE | C.MAP_ANONYMOUS | C.MAP_POPULATE,
    );
    try {
      const aligned = Math.ceil(va / PAGE_2M) * PAGE_2M;
      const e = errorOf(() => rangeSegments(aligned, 4096));
      expect(e.code).toBe("NOT_HUGE");
      expect(e.message).toContain(`page at 0x${aligned.toString(16)}`);
    } finally {
      munmap(va, bytes);
    }
  });

  test("a page never touched fails NOT_PRESENT; lock faults it in first", () => {
    if (!need("root and 2 free 2 MiB hugepages", isRoot() && freePages() >= 2)) return;
    const bytes = 2 * PAGE_2M;
    const va = mmap(bytes, C.PROT_READ | C.PROT_WRITE, hugeFlags);
    try {
      const e = errorOf(() => rangeSegments(va, bytes));
      expect(e.code).toBe("NOT_PRESENT");
      expect(e.message).toContain(`0x${va.toString(16)}`);
      const sg = rangeSegments(va, bytes, { lock: true });
      expect(summarize(sg).bytes).toBe(bytes);
    } finally {
      munmap(va, bytes);
    }
  });

  test("2 MiB pages asked to be 1 GiB fail NOT_HUGE saying what they are", () => {
    if (!need("root and a free 2 MiB hugepage", isRoot() && freePages() >= 1)) return;
    using region = allocate({ bytes: PAGE_2M, name: "range" });
    const e = errorOf(() => rangeSegments(region.address, PAGE_2M, { pageSize: "1G" }));
    expect(e.code).toBe("NOT_HUGE");
    expect(e.message).toContain("1G");
  });

  test("another process's range, by pid, matches what that process sees", async () => {
    if (!need("root and 2 free 2 MiB hugepages", isRoot() && freePages() >= 2)) return;
    const holder = await spawnHolder(2);
    const { held } = holder;
    const child = { pid: holder.pid };
    try {
      const sg = rangeSegments(held.address, held.bytes, { pid: child.pid });
      expect(sg[0]?.physical).toBe(held.pages[0] as number);
      expect(summarize(sg).bytes).toBe(held.bytes);
      const lockOther = errorOf(() =>
        rangeSegments(held.address, held.bytes, { pid: child.pid, lock: true }),
      );
      expect(lockOther.code).toBe("NO_ACCESS");
    } finally {
      await holder.stop();
    }
    const gone = errorOf(() => rangeSegments(0x7f0000000000, 4096, { pid: child.pid }));
    expect(gone.code).toBe("NO_ACCESS");
  });
});
