/* Growing a hugepage pool (or, on request, trimming it) through sysfs nr_hugepages; root only. */
import { writeFileSync } from "node:fs";
import { geteuid } from "@dataplane/sys";
import { HugememError } from "./errors.ts";
import { type PageSizeName, pageSizeBytes, pageSizeName, poolDir } from "./size.ts";
import { poolStatus } from "./status.ts";

/** What reserve() asked for and what the kernel gave. Counts are pages. */
export interface ReserveResult {
  readonly pageSize: number;
  /** The count asked for. */
  readonly requested: number;
  /** nr_hugepages before. */
  readonly before: number;
  /** The pool size aimed at: the request, raised to the current size (or, with shrink, to the pages in use). */
  readonly target: number;
  /** nr_hugepages after: what the kernel actually gave. */
  readonly total: number;
  readonly free: number;
  /** total >= requested. */
  readonly satisfied: boolean;
}

/** The commands that set a pool to `count` pages, for messages. */
export function reserveCommands(count: number, pageSize: number): string {
  return (
    `as root: echo ${count} > ${poolDir(pageSize)}/nr_hugepages` +
    `, or: bun run hugemem reserve ${count} --size ${pageSizeName(pageSize)}`
  );
}

/** Options of reserve(). */
export interface ReserveOptions {
  /**
   * Also shrink the pool when `count` is below its size (never below the pages in use).
   * Default false: reserve only grows a pool, so it cannot take pages from other users.
   */
  readonly shrink?: boolean;
}

/**
 * Grows the pool of `pageSize` pages to `count` pages through sysfs nr_hugepages and returns
 * what the kernel actually gave (fewer when memory is fragmented). A smaller `count` leaves the
 * pool as it is unless `shrink` is set. Throws BAD_SIZE, NO_POOL, NOT_ROOT (with the command).
 */
export function reserve(
  count: number,
  pageSize: PageSizeName | number = "2M",
  options: ReserveOptions = {},
): ReserveResult {
  const size = pageSizeBytes(pageSize);
  if (!Number.isSafeInteger(count) || count < 0) {
    throw new HugememError("BAD_SIZE", `page count ${count} is not an integer >= 0`);
  }
  const pool = poolStatus(size);
  if (pool === null) throw noPool(size);
  if (geteuid() !== 0) {
    throw new HugememError(
      "NOT_ROOT",
      `reserving hugepages needs root; run ${reserveCommands(count, size)}`,
    );
  }
  // Pages mapped by someone or promised to a mapping must stay, whatever was asked for.
  const inUse = pool.total - pool.free + pool.reserved;
  const target = options.shrink === true ? Math.max(count, inUse) : Math.max(count, pool.total);
  if (target !== pool.total) writePool(size, target, count);
  const after = poolStatus(size) ?? pool;
  return {
    pageSize: size,
    requested: count,
    before: pool.total,
    target,
    total: after.total,
    free: after.free,
    satisfied: after.total >= count,
  };
}

function writePool(size: number, target: number, count: number): void {
  try {
    writeFileSync(`${poolDir(size)}/nr_hugepages`, String(target));
  } catch (cause) {
    throw new HugememError(
      "NOT_ROOT",
      `cannot write ${poolDir(size)}/nr_hugepages (${(cause as { code?: string }).code}); run ${reserveCommands(count, size)}`,
      { cause },
    );
  }
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
