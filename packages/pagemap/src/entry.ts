/*
 * The 64-bit /proc/<pid>/pagemap entry (Documentation/admin-guide/mm/pagemap.rst), decoded from
 * its two little-endian u32 halves so that no BigInt is ever made.
 */

/** Bytes per pagemap entry; one entry describes one 4 KiB virtual page. */
export const ENTRY_BYTES = 8;
/** The base page size pagemap is indexed by, in bytes. */
export const BASE_PAGE = 4096;

// Bits of the high word (entry bit n is high-word bit n - 32).
/** Entry bit 63: the page is present in RAM. */
export const HI_PRESENT = 1 << 31;
/** Entry bit 62: the page is swapped out. */
export const HI_SWAPPED = 1 << 30;
/** Entry bit 61: file page or shared anonymous page. */
export const HI_FILE_SHARED = 1 << 29;
/** Entry bit 56: the page is mapped by this process only. */
export const HI_EXCLUSIVE = 1 << 24;
/** Entry bit 55: soft-dirty (written since the soft-dirty bits were last cleared). */
export const HI_SOFT_DIRTY = 1 << 23;
/** Entry bits 32..54: the high 23 bits of the 55-bit PFN. */
export const HI_PFN_MASK = 0x7fffff;

const TWO_32 = 4294967296;

/** One decoded pagemap entry. `pfn` is 0 when the page is not present or PFNs are hidden. */
export interface PagemapEntry {
  readonly present: boolean;
  readonly swapped: boolean;
  readonly exclusive: boolean;
  readonly softDirty: boolean;
  readonly fileOrShared: boolean;
  readonly pfn: number;
}

/** The PFN of an entry given as (low word, high word); 0 when the page is not present. */
export function entryPfn(lo: number, hi: number): number {
  return (hi & HI_PRESENT) === 0 ? 0 : (hi & HI_PFN_MASK) * TWO_32 + lo;
}

/** Decodes one entry given as (low word, high word). */
export function decodeEntry(lo: number, hi: number): PagemapEntry {
  return {
    present: (hi & HI_PRESENT) !== 0,
    swapped: (hi & HI_SWAPPED) !== 0,
    exclusive: (hi & HI_EXCLUSIVE) !== 0,
    softDirty: (hi & HI_SOFT_DIRTY) !== 0,
    fileOrShared: (hi & HI_FILE_SHARED) !== 0,
    pfn: entryPfn(lo, hi),
  };
}

/** The names of the entry's set flags, in a fixed order (present, swapped, ...). */
export function entryFlagNames(entry: PagemapEntry): string[] {
  const names: string[] = [];
  if (entry.present) names.push("present");
  if (entry.swapped) names.push("swapped");
  if (entry.exclusive) names.push("exclusive");
  if (entry.softDirty) names.push("soft-dirty");
  if (entry.fileOrShared) names.push("file/shared");
  return names;
}
