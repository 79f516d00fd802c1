/* PagemapError: every failure of @dataplane/pagemap, with a code and a message that says what to do. */

/** What went wrong, for callers that branch on it. */
export type PagemapErrorCode =
  | "PFN_HIDDEN" // present page, PFN reads as 0: the process lacks CAP_SYS_ADMIN
  | "NOT_PRESENT" // the page is not in RAM (never touched, or swapped out)
  | "NO_PROCESS" // the pid does not exist (or exited while we read its pagemap)
  | "NO_ACCESS" // pagemap of another user's process without the right to ptrace it
  | "NO_KPAGEFLAGS" // /proc/kpageflags missing (kernel config) or unreadable (not root)
  | "BAD_ADDRESS" // not a canonical user-space virtual address, or a bad count
  | "BAD_PAGE_SIZE" // the stated huge page size does not match the memory
  | "CLOSED"; // used after close()

/** A failed translation or lookup. `cause` keeps the SysError when a libc call failed. */
export class PagemapError extends Error {
  constructor(
    readonly code: PagemapErrorCode,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = "PagemapError";
  }
}

/** The advice every PFN_HIDDEN message carries. */
export const PFN_HIDDEN_FIX =
  "the kernel hides PFNs (reads them as 0) from processes without CAP_SYS_ADMIN; run as root (sudo) or grant CAP_SYS_ADMIN";

/** Formats an address as 0x-prefixed hex for messages. */
export const hex = (n: number): string => `0x${n.toString(16)}`;
