/*
 * Per-huge-page translation cache: once one 4 KiB page of a huge page has been translated, every
 * other address inside that huge page is base + offset, with no pread. Valid while the memory
 * stays mapped; hugetlb pages do not move, so the entry only goes stale after munmap.
 */

interface HugePage {
  readonly physical: number;
  readonly bytes: number;
}

/** Virtual base of a huge page -> its physical base and size. */
export class HugePageCache {
  private readonly pages = new Map<number, HugePage>();
  private sizes: number[] = []; // the distinct page sizes seen, smallest first

  /** Physical address of `va` if it lies in a known huge page, else -1. Allocates nothing. */
  lookup(va: number): number {
    const sizes = this.sizes;
    for (let i = 0; i < sizes.length; i++) {
      const size = sizes[i] as number;
      const base = va - (va % size);
      const page = this.pages.get(base);
      // A smaller page cached at the same base does not cover va; check the page's own size.
      if (page !== undefined && va - base < page.bytes) return page.physical + (va - base);
    }
    return -1;
  }

  /** Records a huge page of `bytes` bytes at virtual `base`, physical `physical`. */
  add(base: number, physical: number, bytes: number): void {
    this.pages.set(base, { physical, bytes });
    if (!this.sizes.includes(bytes)) this.sizes = [...this.sizes, bytes].sort((a, b) => a - b);
  }

  /** Forgets every page (call after unmapping memory that was translated). */
  clear(): void {
    this.pages.clear();
    this.sizes = [];
  }

  /** How many huge pages are known. */
  get size(): number {
    return this.pages.size;
  }
}
