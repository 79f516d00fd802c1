import { expect, test } from "bun:test";
import * as sys from "../src/index.ts";

const K = sys.constants;
const PAGE = 4096;

test("mmap failure is a SysError naming the call and the flags", () => {
  // MAP_FIXED at an unaligned address is always EINVAL.
  expect(() =>
    sys.mmap(PAGE, K.PROT_READ, K.MAP_PRIVATE | K.MAP_ANONYMOUS | K.MAP_FIXED, -1, 0, 123),
  ).toThrow(/mmap\(4096 bytes, flags 0x32\) failed: EINVAL/);
});

test("mlock, madvise and munmap work on an anonymous mapping", () => {
  const a = sys.mmap(PAGE * 4, K.PROT_READ | K.PROT_WRITE, K.MAP_PRIVATE | K.MAP_ANONYMOUS);
  sys.mlock(a, PAGE * 4);
  sys.madvise(a, PAGE * 4, K.MADV_DONTFORK);
  sys.fillMemory(a, 0x5a, PAGE * 4);
  expect(new Uint8Array(sys.viewOf(a, PAGE * 4))[PAGE * 4 - 1]).toBe(0x5a);
  sys.munlock(a, PAGE * 4);
  sys.munmap(a, PAGE * 4);
});

test("copyMemory moves bytes between native mappings", () => {
  const a = sys.mmap(PAGE, K.PROT_READ | K.PROT_WRITE, K.MAP_PRIVATE | K.MAP_ANONYMOUS);
  const b = sys.mmap(PAGE, K.PROT_READ | K.PROT_WRITE, K.MAP_PRIVATE | K.MAP_ANONYMOUS);
  const va = new Uint8Array(sys.viewOf(a, PAGE));
  for (let i = 0; i < 64; i++) va[i] = i;
  sys.copyMemory(b + 100, a, 64);
  const vb = new Uint8Array(sys.viewOf(b, PAGE));
  expect(Array.from(vb.subarray(100, 164))).toEqual(Array.from(va.subarray(0, 64)));
  expect(sys.addressOf(vb, 100)).toBe(b + 100);
  sys.munmap(a, PAGE);
  sys.munmap(b, PAGE);
});

test("memfd size, pread and pwrite round-trip", () => {
  const fd = sys.memfdCreate("rw", K.MFD_CLOEXEC);
  sys.ftruncate(fd, 8192);
  expect(sys.fileSize(fd)).toBe(8192);
  const out = new Uint32Array([1, 2, 3, 0xffffffff]);
  expect(sys.pwrite(fd, out, 16, 4096)).toBe(16);
  const back = new Uint32Array(4);
  expect(sys.pread(fd, back, 16, 4096)).toBe(16);
  expect(Array.from(back)).toEqual([1, 2, 3, 0xffffffff]);
  sys.close(fd);
  expect(() => sys.close(fd)).toThrow(/close\(\d+\) failed: EBADF/);
});

test("a hugetlb memfd maps as one 2 MiB page", () => {
  const fd = sys.memfdCreate("huge", K.MFD_CLOEXEC | K.MFD_HUGETLB | K.MFD_HUGE_2MB);
  try {
    sys.ftruncate(fd, 2 << 20);
    const a = sys.mmap(2 << 20, K.PROT_READ | K.PROT_WRITE, K.MAP_SHARED | K.MAP_POPULATE, fd);
    expect(a % (2 << 20)).toBe(0); // hugetlb mappings are aligned to the page size
    sys.munmap(a, 2 << 20);
  } catch (e) {
    if (e instanceof sys.SysError && e.code === "ENOMEM" && process.env.CI !== "true") {
      console.warn("skipped: no free 2 MiB hugepage (reserve some: bun run hugemem reserve 64)");
      return;
    }
    throw e;
  } finally {
    sys.close(fd);
  }
});
