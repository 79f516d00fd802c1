/*
 * allocate(): hugepage memory in one call. Checks the pool first (clear errors beat ENOMEM),
 * maps and populates the pages, mlocks them, proves they are huge, records their physical
 * addresses, and releases everything on any failure.
 */
import { close, geteuid, mlock, munmap, SysError } from "@dataplane/sys";
import { type Backing, mapBacking, notEnoughPages, openBacking } from "./backing.ts";
import { allocateContiguous, type ContiguousRequest } from "./contiguous.ts";
import { HugememError } from "./errors.ts";
import { movePages, physicalOrder, redrawInPhysicalOrder } from "./order.ts";
import { resolvePages } from "./pages.ts";
import { verifyHugeBacking } from "./proof.ts";
import { HugeRegion, type RegionParts } from "./region.ts";
import { noPool } from "./reserve.ts";
import { type PageSizeName, pageSizeBytes } from "./size.ts";
import { poolStatus } from "./status.ts";

/** Options of allocate(). */
export interface AllocateOptions {
  /** Bytes wanted; rounded up to whole pages. */
  readonly bytes: number;
  /** Hugepage size. Default "2M". */
  readonly pageSize?: PageSizeName;
  /** Where the pages come from. Default "memfd" (needs no mount, can be shared by fd). */
  readonly backing?: Backing;
  /** Require one physically contiguous run (root only). Default false. */
  readonly contiguous?: boolean;
  /** memfd / file name, shown in /proc/<pid>/maps. Default "hugemem". */
  readonly name?: string;
  /** hugetlbfs directory for backing "hugetlbfs". Default: the first mount of that page size. */
  readonly mount?: string;
  /** contiguous: the most pages mapped at once while searching. Default 8 x the pages needed. */
  readonly maxCandidates?: number;
  /**
   * Put the pages in physical order so the SG list is as short as physical memory allows (root).
   * Default: true for anonymous memory (pages are moved, nearly free), false for memfd and
   * hugetlbfs (their pages are drawn from the pool a second time: twice the populate time).
   */
  readonly physicalOrder?: boolean;
}

const BACKINGS: readonly Backing[] = ["memfd", "hugetlbfs", "anonymous"];

function pageCount(bytes: number, pageSize: number): number {
  if (!Number.isSafeInteger(bytes) || bytes <= 0) {
    throw new HugememError("BAD_SIZE", `bytes ${bytes} is not a positive integer`);
  }
  return Math.ceil(bytes / pageSize);
}

function plainParts(req: ContiguousRequest): RegionParts {
  const { pages, pageSize, backing, name } = req;
  const bytes = pages * pageSize;
  const fd = openBacking(backing, pageSize, bytes, name, req.mount);
  let address = 0;
  try {
    address = mapBacking(fd, pageSize, bytes, true);
    const pagesUnknown = new Float64Array(0); // resolved after the proof
    return { address, bytes, pageSize, fd, fdOffset: 0, backing, name, pages: pagesUnknown };
  } catch (e) {
    if (address !== 0) munmap(address, bytes);
    if (fd >= 0) close(fd);
    throw e;
  }
}

// mlock is belt and braces: hugetlb pages are never swapped out, and the kernel does not even
// mark hugetlb mappings locked (VmLck stays 0). A non-root process whose RLIMIT_MEMLOCK is below
// the region size gets ENOMEM/EPERM here; that costs it nothing, so it is not an error.
function lock(address: number, bytes: number): void {
  try {
    mlock(address, bytes);
  } catch (cause) {
    const limited =
      cause instanceof SysError && (cause.code === "ENOMEM" || cause.code === "EPERM");
    if (!limited || geteuid() === 0) throw cause;
  }
}

/**
 * Pages in physical order, so that the SG list has one segment per physical run instead of one
 * per page. Anonymous memory has no file whose order the region must keep: its pages are moved
 * (mremap, no copy). A file-backed region must stay one file range (fd/fdOffset describe it byte
 * for byte to whoever maps the fd), so its pages are drawn again from the pool in physical order
 * instead, which costs a second zeroing of every page.
 */
function inPhysicalOrder(parts: RegionParts): RegionParts {
  if (parts.pages.length === 0) return parts;
  if (parts.backing !== "anonymous") {
    const count = parts.pages.length;
    let pages: Float64Array | null;
    try {
      pages = redrawInPhysicalOrder(parts.address, parts.pages, parts.pageSize, () =>
        resolvePages(parts.address, count, parts.pageSize),
      );
    } catch (cause) {
      if (!(cause instanceof SysError)) throw cause;
      const short = notEnoughPages(count, parts.pageSize);
      throw new HugememError(
        short.code,
        `${short.message} (the pool ran dry while the pages were drawn again in physical order; allocate without physicalOrder)`,
        { cause },
      );
    }
    return pages === null ? parts : { ...parts, pages };
  }
  const order = physicalOrder(parts.pages);
  if (order === null) return parts;
  const address = movePages(parts.address, order, parts.pageSize);
  const pages = Float64Array.from(order, (i) => parts.pages[i] as number);
  return { ...parts, address, pages };
}

/**
 * Allocates hugepage memory: `bytes` rounded up to whole pages, populated, mlocked and proven
 * huge. Throws HugememError: BAD_SIZE, NO_POOL, NOT_ENOUGH_PAGES (with the reserve command),
 * NO_HUGETLBFS_MOUNT, NOT_HUGE, NO_CONTIGUOUS_RUN, NOT_ROOT. Release with close() or `using`.
 */
export function allocate(options: AllocateOptions): HugeRegion {
  const size = pageSizeBytes(options.pageSize ?? "2M");
  const pages = pageCount(options.bytes, size);
  const backing = options.backing ?? "memfd";
  if (!BACKINGS.includes(backing)) {
    throw new HugememError("BAD_SIZE", `backing "${backing}" is not one of ${BACKINGS.join(", ")}`);
  }
  const maxCandidates = options.maxCandidates ?? pages * 8;
  if (!Number.isSafeInteger(maxCandidates) || maxCandidates < pages) {
    throw new HugememError(
      "BAD_SIZE",
      `maxCandidates ${maxCandidates} is below the ${pages} pages needed`,
    );
  }
  const req = {
    pages,
    pageSize: size,
    backing,
    name: options.name ?? "hugemem",
    mount: options.mount,
    maxCandidates,
  };
  const pool = poolStatus(size);
  if (pool === null) throw noPool(size);
  if (pool.available < pages) throw notEnoughPages(pages, size);
  let t = performance.now();
  const lap = (): number => {
    const before = t;
    t = performance.now();
    return t - before;
  };
  let parts = options.contiguous === true && pages > 1 ? allocateContiguous(req) : plainParts(req);
  const mapMs = lap();
  try {
    const physical =
      parts.pages.length > 0 ? parts.pages : resolvePages(parts.address, pages, size);
    const addressesMs = lap();
    const sort = options.physicalOrder ?? backing === "anonymous";
    parts =
      sort && options.contiguous !== true
        ? inPhysicalOrder({ ...parts, pages: physical })
        : { ...parts, pages: physical };
    const orderMs = lap();
    lock(parts.address, parts.bytes);
    const lockMs = lap();
    verifyHugeBacking(parts.address, parts.bytes, size);
    const proveMs = lap();
    return new HugeRegion(parts, { mapMs, lockMs, proveMs, addressesMs, orderMs });
  } catch (e) {
    munmap(parts.address, parts.bytes);
    if (parts.fd >= 0) close(parts.fd);
    throw e;
  }
}
