/* Page size names ("2M", "1G") <-> bytes, and the sysfs/flag spellings of each size. */
import { constants as C } from "@dataplane/sys";
import { HugememError } from "./errors.ts";

/** A hugepage size the allocator supports. */
export type PageSizeName = "2M" | "1G";

/** 2 MiB in bytes. */
export const PAGE_2M = 2 * 1024 * 1024;
/** 1 GiB in bytes. */
export const PAGE_1G = 1024 * 1024 * 1024;

/**
 * Bytes of a page size: "2M", "1G", "2MB", "2048kB", "16M", ... or a byte count. The size must
 * be a power of two from 64 KiB to 16 GiB (other architectures have other hugepage sizes);
 * whether the kernel has a pool of that size is checked where it is used (NO_POOL).
 */
export function pageSizeBytes(size: PageSizeName | string | number): number {
  const bytes = typeof size === "number" ? size : parseSizeText(size);
  const log2 = Math.log2(bytes);
  if (!Number.isInteger(log2) || log2 < 16 || log2 > 34) {
    throw new HugememError(
      "BAD_SIZE",
      `page size ${JSON.stringify(size)} is not usable; use "2M" or "1G"`,
    );
  }
  return bytes;
}

/** "2M" or "1G" for a page size in bytes; other sizes as "<n>kB". */
export function pageSizeName(bytes: number): string {
  if (bytes === PAGE_2M) return "2M";
  if (bytes === PAGE_1G) return "1G";
  if (bytes >= PAGE_1G) return `${bytes / PAGE_1G}G`;
  return bytes >= 1048576 ? `${bytes / 1048576}M` : `${bytes / 1024}K`;
}

/** The sysfs directory of the pool of `bytes`-byte pages. */
export const poolDir = (bytes: number): string =>
  `/sys/kernel/mm/hugepages/hugepages-${bytes / 1024}kB`;

/** MFD_HUGE_* / MAP_HUGE_* value for a page size: log2 of the size, shifted by MAP_HUGE_SHIFT. */
export function hugeFlag(bytes: number): number {
  return Math.log2(bytes) << C.MAP_HUGE_SHIFT;
}

/** Parses a size such as "2M", "1024M", "1G", "2048k" or plain bytes (as in mount options). */
export function parseSizeText(text: string): number {
  const m = /^([0-9]+)\s*([kKmMgG]?)[bB]?$/.exec(text.trim());
  if (m === null) return Number.NaN;
  const unit = (m[2] ?? "").toUpperCase();
  const scale = unit === "K" ? 1024 : unit === "M" ? 1024 ** 2 : unit === "G" ? 1024 ** 3 : 1;
  return Number(m[1]) * scale;
}
