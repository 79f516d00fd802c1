/*
 * HugeRegion: one virtually contiguous run of hugepages owned by this process. It satisfies the
 * DmaMemory shape (address, bytes, fd, fdOffset) and knows each page's physical address.
 */
import { close, munmap, viewOf } from "@dataplane/sys";
import type { Backing } from "./backing.ts";
import { HugememError } from "./errors.ts";
import { mergePages, type Segment } from "./sg.ts";

export type { Segment } from "./sg.ts";

/** What the allocator hands to the region; the region owns the mapping and fd from then on. */
export interface RegionParts {
  readonly address: number;
  readonly bytes: number;
  readonly pageSize: number;
  readonly fd: number;
  readonly fdOffset: number;
  readonly backing: Backing;
  readonly name: string;
  /** Physical address per huge page, or empty when PFNs are hidden (not root). */
  readonly pages: Float64Array;
}

/** Milliseconds each step of allocate() took. */
export interface AllocationTimings {
  /** Opening the backing, mapping and populating (the kernel zeroes every page here). */
  readonly mapMs: number;
  readonly lockMs: number;
  /** Proof of backing (kpageflags or smaps). */
  readonly proveMs: number;
  /** Reading each page's physical address. */
  readonly addressesMs: number;
  /** Moving anonymous pages into physical order (0 for other backings). */
  readonly orderMs: number;
}

const NO_TIMINGS: AllocationTimings = {
  mapMs: 0,
  lockMs: 0,
  proveMs: 0,
  addressesMs: 0,
  orderMs: 0,
};

// Typed-array views are capped at 2 GiB; bigger regions are used through view().
const MAX_VIEW = 2 ** 31;

/** Hugepage memory: mapped, populated, mlocked and proven huge. Release with close() / `using`. */
export class HugeRegion {
  /** Virtual address of the first byte in this process. */
  readonly address: number;
  /** Length in bytes, a whole number of pages. */
  readonly bytes: number;
  /** Page size in bytes (2 MiB or 1 GiB). */
  readonly pageSize: number;
  /** Byte offset in `fd` where the region starts. */
  readonly fdOffset: number;
  /** Where the pages come from. */
  readonly backing: Backing;
  /** The memfd / file name given at allocation. */
  readonly name: string;
  /** Physical address of each huge page, in virtual order; empty when PFNs are hidden. */
  readonly pages: Float64Array;
  /** True when every page follows the previous one physically (one segment). */
  readonly contiguous: boolean;
  /** How long each step of the allocation took. */
  readonly timings: AllocationTimings;
  private fdValue: number;
  private closed = false;
  private u8View: Uint8Array | null = null;
  private u32View: Uint32Array | null = null;

  /** Takes ownership of an allocator's mapping and fd. Use allocate() rather than this. */
  constructor(parts: RegionParts, timings: AllocationTimings = NO_TIMINGS) {
    this.timings = timings;
    this.address = parts.address;
    this.bytes = parts.bytes;
    this.pageSize = parts.pageSize;
    this.fdValue = parts.fd;
    this.fdOffset = parts.fdOffset;
    this.backing = parts.backing;
    this.name = parts.name;
    this.pages = parts.pages;
    this.contiguous = parts.pages.length > 0 && isContiguous(parts.pages, parts.pageSize);
  }

  /**
   * The memfd / hugetlbfs fd whose bytes [fdOffset, fdOffset + bytes) are this region; -1 for
   * anonymous memory, for contiguous regions whose pages are not in file order, and after close.
   */
  get fd(): number {
    return this.fdValue;
  }

  /**
   * Physical address of the byte at `offset`: one table lookup, no syscall, no allocation.
   * Throws BAD_OFFSET outside the region, NOT_ROOT when PFNs were hidden at allocation.
   */
  physicalAddress(offset: number): number {
    const pages = this.pages;
    const index = Math.floor(offset / this.pageSize);
    if (this.closed) this.guard();
    if (!(offset >= 0 && offset < this.bytes)) {
      throw new HugememError(
        "BAD_OFFSET",
        `offset ${offset} is outside the region (0 .. ${this.bytes - 1})`,
      );
    }
    if (index >= pages.length) {
      throw new HugememError(
        "NOT_ROOT",
        "physical addresses are unknown: PFNs were hidden at allocation; allocate as root (CAP_SYS_ADMIN)",
      );
    }
    return (pages[index] as number) + (offset - index * this.pageSize);
  }

  /** The scatter-gather list: physically adjacent pages merged, in virtual order. */
  segments(): Segment[] {
    if (this.pages.length === 0) this.physicalAddress(0); // throws NOT_ROOT
    return mergePages(this.pages, this.pageSize, 0, this.bytes);
  }

  /** A byte view of the whole region (regions up to 2 GiB; made once, then reused). */
  get u8(): Uint8Array {
    if (this.u8View === null) this.u8View = new Uint8Array(this.wholeBuffer());
    return this.u8View;
  }

  /** A u32 view of the whole region (regions up to 2 GiB; made once, then reused). */
  get u32(): Uint32Array {
    if (this.u32View === null) this.u32View = new Uint32Array(this.wholeBuffer());
    return this.u32View;
  }

  /** A new byte view of [offset, offset + bytes), for any region size. Make views at setup. */
  view(offset: number, bytes: number): Uint8Array {
    this.guard();
    if (
      !(
        offset >= 0 &&
        bytes > 0 &&
        offset + bytes <= this.bytes &&
        Number.isInteger(offset + bytes)
      )
    ) {
      throw new HugememError(
        "BAD_OFFSET",
        `view ${offset} + ${bytes} does not fit in the region's ${this.bytes} bytes`,
      );
    }
    return new Uint8Array(viewOf(this.address + offset, bytes));
  }

  /**
   * Unmaps the memory (the pages return to the pool) and closes the fd. Idempotent. Views made
   * earlier must not be touched afterwards: the memory is gone.
   */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.u8View = null;
    this.u32View = null;
    munmap(this.address, this.bytes);
    if (this.fdValue >= 0) close(this.fdValue);
    this.fdValue = -1;
  }

  [Symbol.dispose](): void {
    this.close();
  }

  private wholeBuffer(): ArrayBuffer {
    this.guard();
    if (this.bytes > MAX_VIEW) {
      throw new HugememError(
        "BAD_SIZE",
        `region is ${this.bytes} bytes; u8/u32 cover up to 2 GiB, use view(offset, bytes)`,
      );
    }
    return viewOf(this.address, this.bytes);
  }

  private guard(): void {
    if (this.closed)
      throw new HugememError(
        "CLOSED",
        `region "${this.name}" was used after close(); allocate a new region (and drop views of the old one)`,
      );
  }
}

function isContiguous(pages: Float64Array, pageSize: number): boolean {
  for (let i = 1; i < pages.length; i++) {
    if (pages[i] !== (pages[i - 1] as number) + pageSize) return false;
  }
  return true;
}
