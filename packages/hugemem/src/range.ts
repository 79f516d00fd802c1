/*
 * The scatter-gather list of memory this library did not allocate: any virtual range of this
 * process or of another one (given its pid and the right to read its pagemap). Every huge page the
 * range touches is checked to be present and really a hugepage of the expected size, as the
 * kernel's get_user_pages + sg_alloc_table_from_pages would pin and list it for a driver, plus
 * the page-size check the kernel does not make.
 */
import { Kpageflags, Pagemap, PagemapError } from "@dataplane/pagemap";
import { mlock, SysError } from "@dataplane/sys";
import { HugememError } from "./errors.ts";
import { verifyPage } from "./proof.ts";
import { mergePages, type Segment } from "./sg.ts";
import { type PageSizeName, pageSizeBytes, pageSizeName } from "./size.ts";

/** Options of rangeSegments(). */
export interface RangeOptions {
  /** Whose memory: a pid, or "self" (default). */
  readonly pid?: number | "self";
  /** The hugepage size the range must be made of. Default "2M". */
  readonly pageSize?: PageSizeName | number;
  /** mlock the range first (this process only); this also faults in pages not yet touched. */
  readonly lock?: boolean;
}

const hex = (n: number): string => `0x${n.toString(16)}`;

/**
 * The merged SG list of [address, address + bytes) in `pid`'s memory, after checking that every
 * hugepage it touches is present and a hugepage of `pageSize`. Needs root (physical addresses,
 * kpageflags). Throws HugememError: BAD_SIZE, NOT_PRESENT or NOT_HUGE naming the first page that
 * is not, NO_PROCESS, NO_ACCESS, NOT_ROOT.
 */
export function rangeSegments(
  address: number,
  bytes: number,
  options: RangeOptions = {},
): Segment[] {
  const size = pageSizeBytes(options.pageSize ?? "2M");
  const pid = options.pid ?? "self";
  if (
    !Number.isSafeInteger(address) ||
    address <= 0 ||
    !Number.isSafeInteger(bytes) ||
    bytes <= 0
  ) {
    throw new HugememError(
      "BAD_SIZE",
      `range ${address} + ${bytes} is not a positive address and byte count`,
    );
  }
  if (options.lock === true) lockRange(pid, address, bytes);
  const first = address - (address % size);
  const count = Math.ceil((address + bytes - first) / size);
  const pages = new Float64Array(count);
  const advice = `the range at ${hex(address)} must be ${pageSizeName(size)} hugetlb memory (memfd MFD_HUGETLB, hugetlbfs, MAP_HUGETLB); pass its real page size or allocate it with hugemem`;
  let kpf: Kpageflags;
  try {
    kpf = Kpageflags.open();
  } catch (cause) {
    throw new HugememError(
      "NOT_ROOT",
      "checking pages and reading physical addresses needs /proc/kpageflags and real PFNs; run as root (CAP_SYS_ADMIN)",
      { cause },
    );
  }
  try {
    using pm = openPagemap(pid);
    checkFirstByte(pm, kpf, address, size, advice);
    for (let i = 0; i < count; i++) pages[i] = verifyPage(pm, kpf, first + i * size, size, advice);
  } catch (e) {
    throw e instanceof PagemapError ? fromPagemap(e, pid) : e;
  } finally {
    kpf.close();
  }
  return mergePages(pages, size, address - first, bytes);
}

// The byte asked for first: with a wrong page size the rounded-down head may lie outside the
// mapping, and "not present" there would hide the real problem.
function checkFirstByte(
  pm: Pagemap,
  kpf: Kpageflags,
  address: number,
  size: number,
  advice: string,
): void {
  const actual = kpf.hugePageBytes(Math.floor(pm.translate(address) / 4096));
  if (actual === size) return;
  const what = actual === 0 ? "an ordinary 4 KiB page" : `a ${pageSizeName(actual)} hugepage`;
  throw new HugememError(
    "NOT_HUGE",
    `page at ${hex(address)} is ${what}, not a ${pageSizeName(size)} hugepage: ${advice}`,
  );
}

function openPagemap(pid: number | "self"): Pagemap {
  return Pagemap.open(pid, { learnPageSize: false });
}

function lockRange(pid: number | "self", address: number, bytes: number): void {
  if (pid !== "self" && pid !== process.pid) {
    throw new HugememError(
      "NO_ACCESS",
      `lock works on this process's memory only; process ${pid} must mlock its own range (or drop lock)`,
    );
  }
  try {
    mlock(address, bytes);
  } catch (cause) {
    const why = cause instanceof SysError ? cause.code : String(cause);
    throw new HugememError(
      why === "ENOMEM" ? "NOT_PRESENT" : "NOT_ROOT",
      `mlock of ${hex(address)} + ${bytes} failed (${why}): the range must be mapped in full, and RLIMIT_MEMLOCK must cover it (ulimit -l, or run as root)`,
      { cause },
    );
  }
}

function fromPagemap(e: PagemapError, pid: number | "self"): HugememError {
  const code =
    e.code === "NOT_PRESENT"
      ? "NOT_PRESENT"
      : e.code === "PFN_HIDDEN"
        ? "NOT_ROOT"
        : e.code === "NO_PROCESS" || e.code === "NO_ACCESS"
          ? "NO_ACCESS"
          : "BAD_SIZE";
  const who = pid === "self" ? "this process" : `process ${pid}`;
  return new HugememError(code, `${who}: ${e.message}`, { cause: e });
}
