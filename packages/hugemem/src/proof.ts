/*
 * Proof that memory really is made of hugepages of the size asked for, so that a silent fallback
 * to 4 KiB pages (a tmpfs dir mistaken for hugetlbfs, a kernel that ignored a flag) is caught at
 * allocation. As root: pagemap + kpageflags per huge page. Otherwise: smaps KernelPageSize.
 */
import { readFileSync } from "node:fs";
import { hasKpageflag, KPF, Kpageflags, Pagemap, PagemapError } from "@dataplane/pagemap";
import { HugememError } from "./errors.ts";
import { pageSizeName } from "./size.ts";

/** How the backing was proven. */
export type ProofMethod = "kpageflags" | "smaps";

const hex = (n: number): string => `0x${n.toString(16)}`;

/** What allocate()'s NOT_HUGE errors advise; other callers pass their own. */
const FALLBACK_ADVICE = (pageSize: number): string =>
  `the memory silently fell back to another page size; ` +
  `use backing "memfd", or a hugetlbfs mount with pagesize=${pageSizeName(pageSize)}`;

function notHuge(what: string, pageSize: number, advice = FALLBACK_ADVICE(pageSize)): HugememError {
  return new HugememError(
    "NOT_HUGE",
    `${what}, not a ${pageSizeName(pageSize)} hugepage: ${advice}`,
  );
}

/**
 * Checks that [address, address + bytes) is backed by `pageSize`-byte hugepages, every page
 * present. Returns the method used; throws NOT_HUGE naming the first page that is not.
 */
export function verifyHugeBacking(address: number, bytes: number, pageSize: number): ProofMethod {
  if (address % pageSize !== 0 || bytes % pageSize !== 0) {
    throw notHuge(`range ${hex(address)} + ${bytes} is not aligned to ${pageSize} bytes`, pageSize);
  }
  let kpf: Kpageflags;
  try {
    kpf = Kpageflags.open();
  } catch {
    verifyBySmaps(address, bytes, pageSize);
    return "smaps";
  }
  try {
    using pm = Pagemap.open("self", { learnPageSize: false });
    for (let va = address; va < address + bytes; va += pageSize) verifyPage(pm, kpf, va, pageSize);
    return "kpageflags";
  } catch (e) {
    if (!(e instanceof PagemapError)) throw e;
    if (e.code !== "PFN_HIDDEN") throw notHuge(`${e.message}`, pageSize);
    verifyBySmaps(address, bytes, pageSize);
    return "smaps";
  } finally {
    kpf.close();
  }
}

/**
 * One huge page at `va` (aligned) through `pm` (any process): its head frame is aligned, flagged
 * HUGE + COMPOUND_HEAD, the compound page has exactly the expected size, and its last 4 KiB page
 * sits where one physical page says it must. Returns its physical address; throws NOT_HUGE with
 * `advice`, or the PagemapError of a page that is not present.
 */
export function verifyPage(
  pm: Pagemap,
  kpf: Kpageflags,
  va: number,
  pageSize: number,
  advice?: string,
): number {
  const physical = pm.translate(va);
  const pfn = physical / 4096;
  const flags = kpf.flags(pfn);
  const head = hasKpageflag(flags, KPF.HUGE) && hasKpageflag(flags, KPF.COMPOUND_HEAD);
  if (!head || physical % pageSize !== 0) {
    throw notHuge(
      `page at ${hex(va)} maps to frame ${hex(physical)} which is not a hugetlb page head`,
      pageSize,
      advice,
    );
  }
  const size = kpf.hugePageBytes(pfn);
  if (size !== pageSize) {
    const what = size === 0 ? "an ordinary 4 KiB page" : `a ${pageSizeName(size)} hugepage`;
    throw notHuge(`page at ${hex(va)} is ${what}`, pageSize, advice);
  }
  const last = pm.translate(va + pageSize - 4096);
  if (last !== physical + pageSize - 4096) {
    throw notHuge(
      `page at ${hex(va)} is not physically contiguous across ${pageSize} bytes`,
      pageSize,
      advice,
    );
  }
  return physical;
}

/** Checks through /proc/self/smaps that every mapping over the range has KernelPageSize = pageSize. */
export function verifyBySmaps(address: number, bytes: number, pageSize: number): void {
  const end = address + bytes;
  let covered = address; // the range is proven up to here
  let vmaStart = 0;
  let vmaEnd = 0;
  for (const line of readFileSync("/proc/self/smaps", "utf8").split("\n")) {
    const range = /^([0-9a-f]+)-([0-9a-f]+) /.exec(line);
    if (range !== null) {
      vmaStart = Number.parseInt(range[1] as string, 16);
      vmaEnd = Number.parseInt(range[2] as string, 16);
      continue;
    }
    const kps = /^KernelPageSize:\s+([0-9]+) kB/.exec(line);
    if (kps === null || vmaEnd <= address || vmaStart >= end) continue;
    const size = Number(kps[1]) * 1024;
    if (size !== pageSize)
      throw notHuge(
        `mapping ${hex(vmaStart)}-${hex(vmaEnd)} uses ${pageSizeName(size)} pages`,
        pageSize,
      );
    if (vmaStart <= covered) covered = Math.max(covered, vmaEnd);
  }
  if (covered < end) throw notHuge(`no mapping found at ${hex(covered)}`, pageSize);
}
