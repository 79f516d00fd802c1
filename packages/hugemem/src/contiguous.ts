/*
 * Physically contiguous regions: map more hugepages than needed, learn where each one sits in
 * physical memory, find a run of consecutive frames long enough, keep (or move into one virtual
 * range, in physical order) those pages and give the rest back to the pool at once.
 */
import { close, madvise, munmap } from "@dataplane/sys";
import { type Backing, mapBacking, notEnoughPages, openBacking } from "./backing.ts";
import { HugememError } from "./errors.ts";
import { movePages } from "./order.ts";
import { resolvePages } from "./pages.ts";
import type { RegionParts } from "./region.ts";
import { pageSizeName } from "./size.ts";
import { poolStatus } from "./status.ts";

// madvise(MADV_REMOVE) punches a hole in the backing file: the hugepage goes back to the pool.
const MADV_REMOVE = 9;

/** What the contiguous allocator needs to know. */
export interface ContiguousRequest {
  readonly pages: number;
  readonly pageSize: number;
  readonly backing: Backing;
  readonly name: string;
  readonly mount?: string;
  /** The most pages mapped at once while searching for a run. */
  readonly maxCandidates: number;
}

interface Scratch {
  readonly fd: number;
  readonly address: number;
  readonly count: number;
  readonly physical: Float64Array;
}

/** A window of `need` pages that is consecutive both in the file and physically. */
function linearRun(physical: Float64Array, need: number, pageSize: number): number {
  let length = 1;
  if (need === 1) return 0;
  for (let i = 1; i < physical.length; i++) {
    length = physical[i] === (physical[i - 1] as number) + pageSize ? length + 1 : 1;
    if (length === need) return i - need + 1;
  }
  return -1;
}

/** The scratch indices of the first physical run of `need` pages (in physical order) and the longest run. */
function physicalRun(
  physical: Float64Array,
  need: number,
  pageSize: number,
): { order: number[] | null; longest: number } {
  const byAddress = Array.from(physical.keys()).sort(
    (a, b) => (physical[a] as number) - (physical[b] as number),
  );
  let longest = 1;
  let length = 1;
  for (let k = 1; k < byAddress.length; k++) {
    const here = physical[byAddress[k] as number] as number;
    const before = physical[byAddress[k - 1] as number] as number;
    length = here === before + pageSize ? length + 1 : 1;
    longest = Math.max(longest, length);
    if (length === need) return { order: byAddress.slice(k - need + 1, k + 1), longest };
  }
  return { order: need === 1 ? byAddress.slice(0, 1) : null, longest };
}

function mapScratch(req: ContiguousRequest, count: number): Scratch {
  const fd = openBacking(req.backing, req.pageSize, count * req.pageSize, req.name, req.mount);
  let address = 0;
  try {
    address = mapBacking(fd, req.pageSize, count * req.pageSize, true);
    const physical = resolvePages(address, count, req.pageSize);
    if (physical.length === 0) {
      throw new HugememError(
        "NOT_ROOT",
        "contiguous allocation needs physical addresses, which the kernel hides from non-root processes; run as root (CAP_SYS_ADMIN)",
      );
    }
    return { fd, address, count, physical };
  } catch (e) {
    if (address !== 0) munmap(address, count * req.pageSize);
    if (fd >= 0) close(fd);
    throw e;
  }
}

// Gives pages [from, to) of the scratch mapping back to the pool and unmaps them.
function release(s: Scratch, from: number, to: number, pageSize: number): void {
  if (to <= from) return;
  madvise(s.address + from * pageSize, (to - from) * pageSize, MADV_REMOVE);
  munmap(s.address + from * pageSize, (to - from) * pageSize);
}

function keepWindow(s: Scratch, start: number, req: ContiguousRequest): RegionParts {
  const { pages, pageSize } = req;
  release(s, 0, start, pageSize);
  release(s, start + pages, s.count, pageSize);
  return {
    address: s.address + start * pageSize,
    bytes: pages * pageSize,
    pageSize,
    fd: s.fd,
    fdOffset: s.fd < 0 ? 0 : start * pageSize,
    backing: req.backing,
    name: req.name,
    pages: s.physical.slice(start, start + pages),
  };
}

// Moves the chosen pages, in physical order, into one aligned virtual range. The file order no
// longer matches, so the fd is closed and the region is described by address only (fd -1).
function remapRun(s: Scratch, order: readonly number[], req: ContiguousRequest): RegionParts {
  const { pages, pageSize } = req;
  const bytes = pages * pageSize;
  const base = movePages(s.address, order, pageSize);
  const chosen = new Set(order);
  for (let i = 0; i < s.count; i++) if (!chosen.has(i)) release(s, i, i + 1, pageSize);
  if (s.fd >= 0) close(s.fd);
  const physical = Float64Array.from(order, (i) => s.physical[i] as number);
  return {
    address: base,
    bytes,
    pageSize,
    fd: -1,
    fdOffset: 0,
    backing: req.backing,
    name: req.name,
    pages: physical,
  };
}

function candidateCounts(need: number, max: number): number[] {
  const counts = [need, need * 4, max].map((n) => Math.min(n, max)).filter((n) => n >= need);
  return [...new Set(counts)].sort((a, b) => a - b);
}

function freeScratch(s: Scratch, pageSize: number): void {
  munmap(s.address, s.count * pageSize);
  if (s.fd >= 0) close(s.fd);
}

interface Attempt {
  readonly parts: RegionParts | null;
  readonly longest: number;
  /** A run exists but not in file order: mapping again may get the pages in file order. */
  readonly retry: boolean;
}

function tryScratch(s: Scratch, req: ContiguousRequest, lastChance: boolean): Attempt {
  const { pages: need, pageSize } = req;
  try {
    const start = linearRun(s.physical, need, pageSize);
    if (start >= 0) return { parts: keepWindow(s, start, req), longest: need, retry: false };
    const run = physicalRun(s.physical, need, pageSize);
    if (run.order !== null && lastChance)
      return { parts: remapRun(s, run.order, req), longest: need, retry: false };
    freeScratch(s, pageSize);
    return { parts: null, longest: run.longest, retry: run.order !== null };
  } catch (e) {
    freeScratch(s, pageSize);
    throw e;
  }
}

/**
 * Allocates `req.pages` physically contiguous pages. Throws NO_CONTIGUOUS_RUN (with the longest
 * run seen), NOT_ENOUGH_PAGES, NOT_ROOT.
 */
export function allocateContiguous(req: ContiguousRequest): RegionParts {
  const { pages: need, pageSize } = req;
  let longest = 0;
  let tried = 0;
  for (const wanted of candidateCounts(need, req.maxCandidates)) {
    const available = poolStatus(pageSize)?.available ?? 0;
    const count = Math.min(wanted, available);
    if (count < need) throw notEnoughPages(need, pageSize);
    if (count <= tried) continue;
    tried = count;
    // The pool hands freed pages out last-in first-out, so a run that came back in reverse file
    // order usually comes back in file order the second time; that keeps the region one fd range.
    // A run still out of order is moved into place with mremap instead (the region has no fd).
    const attempts = req.backing === "anonymous" ? 1 : 2;
    for (let attempt = 1; attempt <= attempts; attempt++) {
      const result = tryScratch(mapScratch(req, count), req, attempt === attempts);
      if (result.parts !== null) return result.parts;
      longest = Math.max(longest, result.longest);
      if (!result.retry) break;
    }
  }
  const name = pageSizeName(pageSize);
  throw new HugememError(
    "NO_CONTIGUOUS_RUN",
    `no ${need} physically contiguous ${name} pages among ${tried} tried; the longest run is ${longest} pages ` +
      `(${longest * pageSize} bytes): ask for at most that, reserve hugepages right after boot (less fragmentation), ` +
      `or drop contiguous and use segments()`,
  );
}
