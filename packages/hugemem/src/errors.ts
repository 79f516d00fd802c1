/* HugememError: every failure of @dataplane/hugemem, with a code and a message that says the fix. */

/** What went wrong, for callers that branch on it. */
export type HugememErrorCode =
  | "NO_POOL" // the kernel has no hugepage pool of that size
  | "NOT_ENOUGH_PAGES" // the pool has fewer free pages than needed
  | "NOT_ROOT" // the operation needs root (sysfs writes, physical addresses, mlock limits)
  | "NO_HUGETLBFS_MOUNT" // no hugetlbfs mount with that page size (or the given dir is not one)
  | "NOT_HUGE" // proof of backing failed: the memory is not made of huge pages of that size
  | "TOO_MANY_PAGES" // reserve: more pages than the machine's memory can hold
  | "NO_CONTIGUOUS_RUN" // no physically contiguous run of pages long enough
  | "NOT_PRESENT" // a page of a range is not mapped / not in memory
  | "NO_ACCESS" // another process's pagemap: no such process, or no right to read it
  | "BAD_SIZE" // byte count, page count or page size unusable
  | "BAD_OFFSET" // an offset outside the region
  | "CLOSED"; // the region was used after close()

/** A failed hugepage operation. `cause` keeps the SysError or PagemapError when there was one. */
export class HugememError extends Error {
  constructor(
    readonly code: HugememErrorCode,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = "HugememError";
  }
}
