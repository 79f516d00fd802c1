/*
 * IOVAs for memory the IOMMU cannot map at its own virtual address. ixy-style IOVA = VA needs
 * the IOMMU to reach every user address; an IOMMU with fewer address bits (the kernel reports
 * its windows in VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE, e.g. 39 bits on some Intel parts while
 * user addresses go up to 47) cannot, so such blocks get an IOVA from inside the windows.
 * First fit, each block aligned to its size (up to 1 GiB) so hugepage blocks keep hugepage
 * IOMMU mappings; IOVA 0 is never handed out (a zero address in a descriptor is a bug).
 */
import { VfioError } from "../errors.ts";
import type { IovaRange } from "./structs.ts";

/** Largest alignment asked of an allocated IOVA. */
const MAX_ALIGN = 2 ** 30;

/** Alignment for a block of `size` bytes: its largest power-of-two divisor, capped at 1 GiB. */
export function iovaAlignment(size: number, pageSize: number): number {
  let align = pageSize;
  while (align < MAX_ALIGN && size % (align * 2) === 0) align *= 2;
  return align;
}

const hex = (n: number): string => `0x${n.toString(16)}`;

/** Hands out IOVA ranges inside the IOMMU's windows; `free` gives them back. */
export class IovaAllocator {
  /** Allocated ranges [start, end), sorted by start. */
  private readonly used: { start: number; end: number }[] = [];

  constructor(
    private readonly windows: readonly IovaRange[],
    private readonly pageSize: number,
  ) {}

  /** An IOVA for `size` bytes inside one window. Throws VfioError DMA when none is free. */
  alloc(size: number): number {
    const align = iovaAlignment(size, this.pageSize);
    for (const w of this.windows) {
      let at = alignUp(Math.max(w.start, align), align);
      for (const u of this.used) {
        if (u.end <= at) continue;
        if (u.start >= at + size) break;
        at = alignUp(u.end, align);
      }
      if (at + size - 1 <= w.end && Number.isSafeInteger(at + size)) {
        this.used.push({ start: at, end: at + size });
        this.used.sort((a, b) => a.start - b.start);
        return at;
      }
    }
    const windows = this.windows.map((r) => `[${hex(r.start)}, ${hex(r.end)}]`).join(", ");
    throw new VfioError(
      "DMA",
      `no free IOVA range of ${size} bytes inside the IOMMU's windows ${windows}; unmap other DMA memory or map less`,
    );
  }

  /** Gives back a range alloc() returned. */
  free(iova: number, size: number): void {
    const i = this.used.findIndex((u) => u.start === iova && u.end === iova + size);
    if (i >= 0) this.used.splice(i, 1);
  }
}

function alignUp(n: number, align: number): number {
  return Math.ceil(n / align) * align;
}
