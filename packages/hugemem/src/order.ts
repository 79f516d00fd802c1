/*
 * Putting hugepages in physical order: the pages of a mapping are moved (mremap, no copy) into a
 * new, aligned virtual range in the order given, so that physically adjacent pages also become
 * virtually adjacent and the SG list shrinks to the physical runs. Anonymous hugetlb memory needs
 * it: the pool hands its pages out last-in first-out, so a big anonymous region arrives in
 * reverse physical order and would otherwise have one segment per page.
 */
import { constants as C, madvise, mmap, mremap, munmap } from "@dataplane/sys";

/** A fresh `bytes`-long PROT_NONE range aligned to `pageSize`, to move pages into. */
export function alignedRange(bytes: number, pageSize: number): number {
  const span = bytes + pageSize;
  const reservation = mmap(span, C.PROT_NONE, C.MAP_PRIVATE | C.MAP_ANONYMOUS | C.MAP_NORESERVE);
  const base = Math.ceil(reservation / pageSize) * pageSize;
  if (base > reservation) munmap(reservation, base - reservation);
  if (reservation + span > base + bytes) munmap(base + bytes, reservation + span - (base + bytes));
  return base;
}

/**
 * Moves page order[j] of the mapping at `from` to slot j of a new aligned range and returns the
 * range's address; pages that are already consecutive move together in one mremap. On failure the
 * new range is unmapped (with whatever reached it) and the error rethrown; the pages not yet moved
 * stay at `from` for the caller to unmap.
 */
export function movePages(from: number, order: ArrayLike<number>, pageSize: number): number {
  const bytes = order.length * pageSize;
  const base = alignedRange(bytes, pageSize);
  try {
    let j = 0;
    while (j < order.length) {
      const first = order[j] as number;
      let run = 1;
      while (j + run < order.length && order[j + run] === first + run) run++;
      mremap(
        from + first * pageSize,
        run * pageSize,
        run * pageSize,
        C.MREMAP_MAYMOVE | C.MREMAP_FIXED,
        base + j * pageSize,
      );
      j += run;
    }
  } catch (e) {
    munmap(base, bytes);
    throw e;
  }
  return base;
}

/** Page indices sorted by physical address; null when they are already in that order. */
export function physicalOrder(physical: Float64Array): number[] | null {
  let sorted = true;
  for (let i = 1; i < physical.length && sorted; i++) {
    sorted = (physical[i] as number) > (physical[i - 1] as number);
  }
  if (sorted) return null;
  return Array.from(physical.keys()).sort(
    (a, b) => (physical[a] as number) - (physical[b] as number),
  );
}

// madvise: MADV_REMOVE punches the page out of the file (back to the pool at once);
// MADV_POPULATE_WRITE (Linux 5.14) faults a page in and fails with an errno instead of SIGBUS
// when the pool has nothing left.
const MADV_REMOVE = 9;
const MADV_POPULATE_WRITE = 23;

/** Segments of pages in the order given (1 + the breaks between neighbours). */
function runs(physical: ArrayLike<number>, pageSize: number): number {
  let count = physical.length > 0 ? 1 : 0;
  for (let i = 1; i < physical.length; i++) {
    if (physical[i] !== (physical[i - 1] as number) + pageSize) count++;
  }
  return count;
}

/**
 * File-backed pages cannot be moved within their file, but they can be drawn again: the pages
 * are punched out highest physical address first, so the lowest ends up on top of the pool's
 * free list (the kernel reuses freed hugepages last-in first-out), and then faulted back in file
 * order, each taking the next lowest. Returns the pages' new physical addresses, or null when
 * physical order would not shorten the SG list. Costs a second zeroing of every page. Must run
 * before mlock (the kernel refuses MADV_REMOVE on locked memory). Throws the SysError of a page
 * that could not be faulted back (another process took the pool's pages meanwhile).
 */
export function redrawInPhysicalOrder(
  address: number,
  physical: Float64Array,
  pageSize: number,
  resolve: () => Float64Array,
): Float64Array | null {
  const order = physicalOrder(physical);
  if (order === null) return null;
  const sorted = order.map((i) => physical[i] as number);
  if (runs(sorted, pageSize) >= runs(physical, pageSize)) return null;
  for (let k = order.length - 1; k >= 0; k--) {
    madvise(address + (order[k] as number) * pageSize, pageSize, MADV_REMOVE);
  }
  for (let i = 0; i < physical.length; i++) {
    madvise(address + i * pageSize, pageSize, MADV_POPULATE_WRITE);
  }
  return resolve();
}
