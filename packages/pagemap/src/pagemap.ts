/*
 * Virtual -> physical translation through /proc/<pid>/pagemap. The file stays open; a range of
 * pages costs one pread; addresses inside a huge page that is already known cost no pread.
 */
import { constants as C, close, open, pread, SysError } from "@dataplane/sys";
import {
  BASE_PAGE,
  decodeEntry,
  ENTRY_BYTES,
  entryPfn,
  HI_PRESENT,
  HI_SWAPPED,
  type PagemapEntry,
} from "./entry.ts";
import { hex, PagemapError, PFN_HIDDEN_FIX } from "./errors.ts";
import { HugePageCache } from "./huge-cache.ts";
import { Kpageflags } from "./kpageflags.ts";

/** Options of Pagemap.open. */
export interface PagemapOptions {
  /**
   * Huge page size in bytes (2 MiB, 1 GiB) of the memory you will translate, when you know it:
   * translations are then cached per huge page. Per-call `pageSize` arguments override it.
   */
  readonly pageSize?: number;
  /**
   * Learn huge page sizes from /proc/kpageflags on a cache miss (root only; silently off when
   * kpageflags cannot be opened). Default true.
   */
  readonly learnPageSize?: boolean;
}

// x86-64 user space ends below 2^56 even with 5-level page tables.
const MAX_USER_VA = 2 ** 56;

/** An open /proc/<pid>/pagemap with a per-huge-page translation cache. */
export class Pagemap {
  /** The process whose pages this translates. */
  readonly pid: number | "self";
  private fd: number;
  private words = new Uint32Array(2 * 64); // entries as (lo, hi) pairs, grown on demand
  private readonly cache = new HugePageCache();
  private readonly pageSize: number;
  private learn: boolean;
  private kpf: Kpageflags | null = null;

  private constructor(pid: number | "self", fd: number, options: PagemapOptions) {
    this.pid = pid;
    this.fd = fd;
    this.pageSize = options.pageSize ?? 0;
    this.learn = options.learnPageSize ?? true;
    if (this.pageSize !== 0) checkPageSize(this.pageSize);
  }

  /**
   * Opens the pagemap of `pid` ("self" for this process). Throws NO_PROCESS for a pid that does
   * not exist, NO_ACCESS when the pagemap of another user's process may not be read.
   */
  static open(pid: number | "self" = "self", options: PagemapOptions = {}): Pagemap {
    if (pid !== "self" && (!Number.isInteger(pid) || pid <= 0)) {
      throw new PagemapError(
        "NO_PROCESS",
        `pid ${pid} is not a process id; pass a pid > 0 or "self"`,
      );
    }
    const path = `/proc/${pid}/pagemap`;
    try {
      return new Pagemap(pid, open(path, C.O_RDONLY | C.O_CLOEXEC), options);
    } catch (cause) {
      if (!(cause instanceof SysError)) throw cause;
      if (cause.code === "ENOENT" || cause.code === "ESRCH") {
        throw new PagemapError(
          "NO_PROCESS",
          `no process ${pid} (${path} is missing); check the pid`,
          { cause },
        );
      }
      throw new PagemapError(
        "NO_ACCESS",
        `cannot open ${path} (${cause.code}): run as root or as the process's owner`,
        { cause },
      );
    }
  }

  /**
   * Physical address of virtual address `va`. `pageSize` (bytes; default: the open option or a
   * learned size) lets the translation be cached for the whole huge page. Throws NOT_PRESENT,
   * PFN_HIDDEN, BAD_PAGE_SIZE; never returns 0.
   */
  translate(va: number, pageSize = this.pageSize): number {
    const cached = this.cache.lookup(va);
    if (cached >= 0) return cached;
    this.read(va, 1);
    const physical = this.physicalOf(va, 0);
    if (pageSize > BASE_PAGE) this.remember(va, physical, pageSize, true);
    else if (this.learn) this.learnFrom(va, physical);
    return physical;
  }

  /**
   * Physical addresses of `pages` consecutive 4 KiB pages starting at `va` (the in-page offset
   * of `va` is kept): out[i] = physical(va + i * 4096). Pages inside known huge pages come from
   * the cache; the rest cost one pread in total. Returns `pages`. Throws like translate.
   */
  translateRange(va: number, pages: number, out: Float64Array): number {
    if (out.length < pages) {
      throw new PagemapError(
        "BAD_ADDRESS",
        `out holds ${out.length} addresses, ${pages} asked for`,
      );
    }
    let i = 0;
    for (; i < pages; i++) {
      const physical = this.cache.lookup(va + i * BASE_PAGE);
      if (physical < 0) break;
      out[i] = physical;
    }
    if (i === pages) return pages;
    const first = va + i * BASE_PAGE;
    this.read(first, pages - i);
    for (let k = 0; i < pages; i++, k++) out[i] = this.physicalOf(first + k * BASE_PAGE, k);
    return pages;
  }

  /** The decoded pagemap entry of `va` (present, swapped, exclusive, soft-dirty, file/shared, pfn). */
  entry(va: number): PagemapEntry {
    this.read(va, 1);
    const w = this.words;
    return decodeEntry(w[0] as number, w[1] as number);
  }

  /**
   * Reads the raw entries of `pages` 4 KiB pages from `va` with one pread into `out` as
   * (low word, high word) pairs; decode with decodeEntry/entryPfn. Returns `pages`.
   */
  readEntries(va: number, pages: number, out: Uint32Array): number {
    if (out.length < pages * 2) {
      throw new PagemapError(
        "BAD_ADDRESS",
        `out holds ${out.length >>> 1} entries, ${pages} asked for`,
      );
    }
    this.read(va, pages);
    out.set(this.words.subarray(0, pages * 2));
    return pages;
  }

  /** Forgets cached huge-page translations; call after memory was unmapped and mapped again. */
  clearCache(): void {
    this.cache.clear();
  }

  /** How many huge pages the cache knows. */
  get cachedHugePages(): number {
    return this.cache.size;
  }

  /** Closes pagemap (and kpageflags, if learning opened it). Idempotent. */
  close(): void {
    if (this.fd < 0) return;
    close(this.fd);
    this.fd = -1;
    this.kpf?.close();
    this.kpf = null;
    this.cache.clear();
  }

  [Symbol.dispose](): void {
    this.close();
  }

  // Reads the entries of `pages` pages from `va` into this.words with one pread.
  private read(va: number, pages: number): void {
    if (this.fd < 0)
      throw new PagemapError(
        "CLOSED",
        "Pagemap used after close(); open a new one with Pagemap.open()",
      );
    if (!Number.isSafeInteger(va) || va < 0 || va >= MAX_USER_VA) {
      throw new PagemapError(
        "BAD_ADDRESS",
        `${va} is not a user-space virtual address (0 .. 2^56)`,
      );
    }
    if (!Number.isInteger(pages) || pages < 1 || va + pages * BASE_PAGE > MAX_USER_VA) {
      throw new PagemapError(
        "BAD_ADDRESS",
        `bad page count ${pages} at ${hex(va)}; pass 1 or more`,
      );
    }
    if (this.words.length < pages * 2) this.words = new Uint32Array(pages * 2);
    const bytes = pages * ENTRY_BYTES;
    const got = pread(this.fd, this.words, bytes, Math.floor(va / BASE_PAGE) * ENTRY_BYTES);
    if (got !== bytes) {
      throw this.pid === "self"
        ? new PagemapError("BAD_ADDRESS", `pagemap ended before ${hex(va)} + ${pages} pages`)
        : new PagemapError("NO_PROCESS", `process ${this.pid} exited while its pagemap was read`);
    }
  }

  // Physical address of `va`, whose entry is pair `k` of this.words.
  private physicalOf(va: number, k: number): number {
    const w = this.words;
    const lo = w[2 * k] as number;
    const hi = w[2 * k + 1] as number;
    if ((hi & HI_PRESENT) === 0) {
      const why = (hi & HI_SWAPPED) !== 0 ? "swapped out" : "not present";
      throw new PagemapError(
        "NOT_PRESENT",
        `page at ${hex(va)} is ${why}: touch, populate (MAP_POPULATE) or mlock the memory first`,
      );
    }
    const pfn = entryPfn(lo, hi);
    if (pfn === 0) throw new PagemapError("PFN_HIDDEN", `page at ${hex(va)}: ${PFN_HIDDEN_FIX}`);
    return pfn * BASE_PAGE + (va % BASE_PAGE);
  }

  private remember(va: number, physical: number, size: number, stated: boolean): void {
    if (stated) checkPageSize(size);
    const offset = va % size;
    const physicalBase = physical - offset;
    if (physicalBase % size !== 0) {
      if (!stated) return;
      throw new PagemapError(
        "BAD_PAGE_SIZE",
        `${hex(va)} maps to ${hex(physical)}, which is not inside a ${size}-byte aligned physical page: the memory is not backed by ${size}-byte pages; pass its real page size`,
      );
    }
    this.cache.add(va - offset, physicalBase, size);
  }

  // On a miss without a stated size, asks kpageflags whether the frame is part of a huge page.
  private learnFrom(va: number, physical: number): void {
    if (this.kpf === null) {
      try {
        this.kpf = Kpageflags.open();
      } catch {
        this.learn = false; // not root or no kpageflags: translate page by page
        return;
      }
    }
    const size = this.kpf.hugePageBytes(Math.floor(physical / BASE_PAGE));
    if (size > 0) this.remember(va, physical, size, false);
  }
}

function checkPageSize(size: number): void {
  if (!Number.isSafeInteger(size) || size < BASE_PAGE || (size & (size - 1)) !== 0) {
    // size & (size-1) is only meaningful below 2^31; 1 GiB is 2^30, the largest size in use.
    throw new PagemapError("BAD_PAGE_SIZE", `page size ${size} is not a power of two >= 4096`);
  }
}
