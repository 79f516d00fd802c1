/*
 * Growing a hugepage pool (or, on request, trimming it) through sysfs nr_hugepages; root only.
 * A count the machine cannot hold is refused before anything is written, and a growth the kernel
 * could only partly satisfy is rolled back unless a partial pool was asked for: a failed
 * reservation must not leave most of the machine's memory sitting in an unused pool.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { geteuid } from "@dataplane/sys";
import { HugememError } from "./errors.ts";
import { type PageSizeName, pageSizeBytes, pageSizeName, poolDir } from "./size.ts";
import { type HugepagePool, poolStatus } from "./status.ts";

/** What reserve() asked for and what the kernel gave. Counts are pages. */
export interface ReserveResult {
  readonly pageSize: number;
  /** The count asked for. */
  readonly requested: number;
  /** nr_hugepages before. */
  readonly before: number;
  /** The pool size aimed at: the request, raised to the current size (or, with shrink, to the pages in use). */
  readonly target: number;
  /** nr_hugepages after (after the roll-back, when there was one). */
  readonly total: number;
  readonly free: number;
  /** total >= requested. */
  readonly satisfied: boolean;
  /** Pages the kernel gave before an unsatisfied growth was rolled back (0 when none was). */
  readonly rolledBack: number;
  /** The request was below the pool and shrink was not set: the pool was left as it was. */
  readonly keptLarger: boolean;
}

/** The commands that set a pool to `count` pages, for messages. */
export function reserveCommands(count: number, pageSize: number): string {
  return (
    `as root: echo ${count} > ${poolDir(pageSize)}/nr_hugepages` +
    `, or: bunx @dataplane/hugemem reserve ${count} --size ${pageSizeName(pageSize)}`
  );
}

/** Options of reserve(). */
export interface ReserveOptions {
  /**
   * Also shrink the pool when `count` is below its size (never below the pages in use).
   * Default false: reserve only grows a pool, so it cannot take pages from other users.
   */
  readonly shrink?: boolean;
  /**
   * Keep whatever the kernel gave when it could not give `count` pages. Default false: an
   * unsatisfied growth is undone, the pool goes back to its size before the call.
   */
  readonly partial?: boolean;
}

/** How reserve() reads and writes a pool; the kernel's sysfs files unless a test passes another. */
export interface PoolAccess {
  /** The pool now, or null when the kernel has no pool of this size. */
  status(): HugepagePool | null;
  /** Writes nr_hugepages. */
  write(count: number): void;
  /** Bytes the kernel could still turn into hugepages (MemAvailable). */
  availableBytes(): number;
}

/** MemAvailable from /proc/meminfo, in bytes. */
export function memAvailableBytes(): number {
  const m = /^MemAvailable:\s+([0-9]+) kB$/m.exec(readFileSync("/proc/meminfo", "utf8"));
  return m === null ? 0 : Number(m[1]) * 1024;
}

function sysfsPool(size: number): PoolAccess {
  return {
    status: () => poolStatus(size),
    write: (count) => {
      try {
        writeFileSync(`${poolDir(size)}/nr_hugepages`, String(count));
      } catch (cause) {
        throw new HugememError(
          "NOT_ROOT",
          `cannot write ${poolDir(size)}/nr_hugepages (${(cause as { code?: string }).code}); run ${reserveCommands(count, size)}`,
          { cause },
        );
      }
    },
    availableBytes: memAvailableBytes,
  };
}

/**
 * Grows the pool of `pageSize` pages to `count` pages through sysfs nr_hugepages. Refuses
 * (TOO_MANY_PAGES, with the most the machine can give) a count beyond the pool plus the memory
 * available; rolls an unsatisfied growth back unless `partial`. A smaller `count` leaves the
 * pool as it is (`keptLarger`) unless `shrink` is set. Throws BAD_SIZE, NO_POOL, NOT_ROOT,
 * TOO_MANY_PAGES.
 */
export function reserve(
  count: number,
  pageSize: PageSizeName | number = "2M",
  options: ReserveOptions = {},
): ReserveResult {
  const size = pageSizeBytes(pageSize);
  checkCount(count);
  if (poolStatus(size) === null) throw noPool(size);
  if (geteuid() !== 0) {
    throw new HugememError(
      "NOT_ROOT",
      `reserving hugepages needs root; run ${reserveCommands(count, size)}`,
    );
  }
  return reserveWith(sysfsPool(size), count, size, options);
}

function checkCount(count: number): void {
  if (!Number.isSafeInteger(count) || count < 0) {
    throw new HugememError("BAD_SIZE", `page count ${count} is not an integer >= 0`);
  }
}

/** reserve() over any PoolAccess (the sysfs files in use; a simulated kernel in tests). */
export function reserveWith(
  io: PoolAccess,
  count: number,
  size: number,
  options: ReserveOptions = {},
): ReserveResult {
  checkCount(count);
  const pool = io.status();
  if (pool === null) throw noPool(size);
  // Pages mapped by someone or promised to a mapping must stay, whatever was asked for.
  const inUse = pool.total - pool.free + pool.reserved;
  const shrink = options.shrink === true;
  const target = shrink ? Math.max(count, inUse) : Math.max(count, pool.total);
  const most = pool.total + Math.floor(io.availableBytes() / size);
  if (target > most) throw tooMany(count, most, pool.total, size);
  if (target !== pool.total) io.write(target);
  let after = io.status() ?? pool;
  let rolledBack = 0;
  if (after.total < count && after.total > pool.total && options.partial !== true) {
    rolledBack = after.total - pool.total;
    io.write(pool.total);
    after = io.status() ?? pool;
  }
  return {
    pageSize: size,
    requested: count,
    before: pool.total,
    target,
    total: after.total,
    free: after.free,
    satisfied: after.total >= count,
    rolledBack,
    keptLarger: !shrink && count < pool.total,
  };
}

function tooMany(count: number, most: number, total: number, size: number): HugememError {
  const name = pageSizeName(size);
  return new HugememError(
    "TOO_MANY_PAGES",
    `${count} ${name} hugepages is more than this machine can give: the pool has ${total} and ` +
      `the memory available holds ${most - total} more, so at most ${most}; ask for ${most} or fewer` +
      (size >= 1024 ** 3
        ? ", or reserve 1G pages at boot (kernel command line: hugepagesz=1G hugepages=N)"
        : ""),
  );
}

/** NO_POOL for `size`, with the kernel and boot-parameter fix. */
export function noPool(size: number): HugememError {
  const name = pageSizeName(size);
  return new HugememError(
    "NO_POOL",
    `this kernel has no ${name} hugepage pool (${poolDir(size)} is missing): it needs CONFIG_HUGETLBFS` +
      (size === 1024 ** 3
        ? " and a CPU with 1 GiB pages (pdpe1gb); reserve them at boot with hugepagesz=1G hugepages=N"
        : "") +
      `; or use pageSize "2M"`,
  );
}
