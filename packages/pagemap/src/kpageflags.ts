/*
 * /proc/kpageflags: 8 bytes of page flags per physical frame (PFN), readable by root only.
 * Flag words are handled as two u32 halves; the combined value is returned as a number, exact
 * because no flag above bit 52 exists.
 */
import { constants as C, close, open, pread, SysError } from "@dataplane/sys";
import { PagemapError } from "./errors.ts";

/** Bit numbers of the kpageflags word (include/uapi/linux/kernel-page-flags.h). */
export const KPF = {
  LOCKED: 0,
  ERROR: 1,
  REFERENCED: 2,
  UPTODATE: 3,
  DIRTY: 4,
  LRU: 5,
  ACTIVE: 6,
  SLAB: 7,
  WRITEBACK: 8,
  RECLAIM: 9,
  BUDDY: 10,
  MMAP: 11,
  ANON: 12,
  SWAPCACHE: 13,
  SWAPBACKED: 14,
  COMPOUND_HEAD: 15,
  COMPOUND_TAIL: 16,
  HUGE: 17,
  UNEVICTABLE: 18,
  HWPOISON: 19,
  NOPAGE: 20,
  KSM: 21,
  THP: 22,
  OFFLINE: 23,
  ZERO_PAGE: 24,
  IDLE: 25,
  PGTABLE: 26,
  // Bits 32 and up are "kernel hacking" flags the kernel may change between versions.
  RESERVED: 32,
  MLOCKED: 33,
  MAPPEDTODISK: 34,
  PRIVATE: 35,
  PRIVATE_2: 36,
  OWNER_PRIVATE: 37,
  ARCH: 38,
  UNCACHED: 39,
  SOFTDIRTY: 40,
  ARCH_2: 41,
} as const;

/** A kpageflags flag name. */
export type KpageflagName = keyof typeof KPF;

const TWO_32 = 4294967296;
const PATH = "/proc/kpageflags";
const NAMES = Object.entries(KPF) as [KpageflagName, number][];

/** True when flag `bit` (a KPF value) is set in a flags word returned by this module. */
export function hasKpageflag(flags: number, bit: number): boolean {
  const word = bit < 32 ? flags % TWO_32 : Math.floor(flags / TWO_32);
  return ((word >>> (bit & 31)) & 1) === 1;
}

/** The names of the set flags in a flags word, lowest bit first (e.g. ["MMAP", "HUGE"]). */
export function kpageflagNames(flags: number): KpageflagName[] {
  const out: KpageflagName[] = [];
  for (const [name, bit] of NAMES) if (hasKpageflag(flags, bit)) out.push(name);
  return out;
}

/** Pages per huge page for the x86-64 hugetlb sizes, smallest first (2 MiB, 1 GiB). */
const HUGE_ORDERS = [512, 262144] as const;

/** An open /proc/kpageflags. Setup-time lookups; keep one open for many reads. */
export class Kpageflags {
  private fd: number;
  private buf = new Uint32Array(2);

  private constructor(fd: number) {
    this.fd = fd;
  }

  /** Opens /proc/kpageflags. Throws NO_KPAGEFLAGS when it is missing or not readable. */
  static open(): Kpageflags {
    try {
      return new Kpageflags(open(PATH, C.O_RDONLY | C.O_CLOEXEC));
    } catch (cause) {
      const code = cause instanceof SysError ? cause.code : "";
      const fix =
        code === "ENOENT"
          ? "this kernel was built without CONFIG_PROC_PAGE_MONITOR; pass the page size explicitly instead"
          : "it is readable by root only: run as root (sudo) or with CAP_SYS_ADMIN";
      throw new PagemapError("NO_KPAGEFLAGS", `cannot open ${PATH} (${code || cause}): ${fix}`, {
        cause,
      });
    }
  }

  /** The flags word of one PFN (use hasKpageflag / kpageflagNames on it); 0 past the last PFN. */
  flags(pfn: number): number {
    const n = this.readRange(pfn, 1, null);
    const b = this.buf;
    return n === 0 ? 0 : (b[1] as number) * TWO_32 + (b[0] as number);
  }

  /**
   * Reads the flags of `count` PFNs from `pfn` with one pread into `out` (if given, else into
   * an internal buffer). Returns how many PFNs were read (fewer at the end of physical memory).
   */
  readRange(pfn: number, count: number, out: Float64Array | null): number {
    if (this.fd < 0)
      throw new PagemapError(
        "CLOSED",
        "Kpageflags used after close(); open a new one with Kpageflags.open()",
      );
    if (!Number.isSafeInteger(pfn) || pfn < 0 || !Number.isInteger(count) || count < 0) {
      throw new PagemapError("BAD_ADDRESS", `bad PFN range ${pfn} + ${count}; PFNs are >= 0`);
    }
    if (out !== null && out.length < count) {
      throw new PagemapError("BAD_ADDRESS", `out holds ${out.length} values, ${count} asked for`);
    }
    if (this.buf.length < count * 2) this.buf = new Uint32Array(count * 2);
    const b = this.buf;
    const got = pread(this.fd, b, count * 8, pfn * 8) >>> 3;
    if (out !== null) {
      for (let i = 0; i < got; i++)
        out[i] = (b[2 * i + 1] as number) * TWO_32 + (b[2 * i] as number);
    }
    return got;
  }

  /**
   * The size in bytes of the hugetlb page that frame `pfn` belongs to (2 MiB or 1 GiB), or 0
   * when it is not part of a hugetlb page. Finds the compound head at each size's alignment and
   * checks the page does not continue past that size.
   */
  hugePageBytes(pfn: number): number {
    if (!hasKpageflag(this.flags(pfn), KPF.HUGE)) return 0;
    for (const pages of HUGE_ORDERS) {
      const head = pfn - (pfn % pages);
      if (!hasKpageflag(this.flags(head), KPF.COMPOUND_HEAD)) continue;
      // A tail right after `pages` frames means the compound page is bigger than this size.
      if (!hasKpageflag(this.flags(head + pages), KPF.COMPOUND_TAIL)) return pages * 4096;
    }
    return 0;
  }

  /** Closes the file. Idempotent. */
  close(): void {
    if (this.fd < 0) return;
    close(this.fd);
    this.fd = -1;
  }

  [Symbol.dispose](): void {
    this.close();
  }
}
