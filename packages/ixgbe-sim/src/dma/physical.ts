/*
 * PhysicalDmaSpace: the sysfs-mode DmaSpace. The client (a driver in another process) hands the
 * card physical addresses, as ixy does without an IOMMU. We find the client's shared hugepage
 * mappings, map the same files here through /proc/<pid>/map_files, and read the physical page of
 * each huge page from our own /proc/self/pagemap (the pages are the same). resolve() then maps a
 * physical address to (window, offset) through a table sorted by physical address.
 *
 * Finding memory the client maps later is slow (/proc/<pid>/smaps costs about a millisecond
 * for a Bun client), so it never happens in resolve(): a miss there is a DMA fault. refresh()
 * looks on the slow path (the device loop's housekeeping, and before a descriptor ring that
 * did not resolve is declared faulty): it reads the cheap /proc/<pid>/maps and reads smaps
 * only when a shared mapping appeared that it has not seen before.
 *
 * Lifetime: our mappings hold the hugepages. If the client unmaps memory or exits, the windows
 * stay valid (and the pages stay allocated) until close(); nothing is unmapped under the model.
 * Needs root: map_files and real PFNs both need CAP_SYS_ADMIN.
 */
import { close, constants as K, mmap, munmap, open, pread, SysError, viewOf } from "@dataplane/sys";
import { IxgbeSimError } from "../errors.ts";
import type { DmaSpace } from "./dma-space.ts";
import { type ClientMapping, readClientMappings, sharedMappingKeys } from "./physical-maps.ts";

const TWO_32 = 4294967296;

/** Options of PhysicalDmaSpace. */
export interface PhysicalDmaOptions {
  /** Least time between two looks at the client's mappings by refresh() (ms, default 1). */
  rescanIntervalMs?: number;
}

/** One contiguous run of physical memory inside one window. */
interface Extent {
  base: number;
  end: number;
  window: number;
  windowOffset: number;
}

/** A DmaSpace over another process's hugepage memory, addressed by physical address. */
export class PhysicalDmaSpace implements DmaSpace {
  offset = 0;
  readonly u8: Uint8Array[] = [];
  readonly u32: Uint32Array[] = [];
  readonly address: number[] = [];
  generation = 0;
  /** resolve() calls that found no memory (DMA faults). */
  faults = 0;
  /** Scans of the client's smaps so far (the first one is in the constructor). */
  scans = 0;
  /** Looks at the client's maps by refresh() so far. */
  checks = 0;
  /** True once the client has exited: windows stay valid, no more rescans. */
  clientGone = false;

  private readonly bytes: number[] = [];
  private readonly known = new Set<string>();
  /** Shared mappings seen in maps (hugepage or not): a refresh() scans only for new ones. */
  private readonly seen = new Set<string>();
  private extents: Extent[] = [];
  // The table as parallel typed arrays for the binary search, sorted by base.
  private base = new Float64Array(0);
  private end = new Float64Array(0);
  private win = new Int32Array(0);
  private winOff = new Float64Array(0);
  // The last hit, so runs of accesses to one buffer skip the search.
  private lastBase = 0;
  private lastEnd = 0;
  private lastWin = -1;
  private lastWinOff = 0;
  private lastScan = 0;
  private pagemap: number;
  private readonly entry = new Uint32Array(2);
  private readonly rescanNs: number;

  /** Maps every shared hugepage mapping of process `pid`. Throws IxgbeSimError BAD_WINDOW. */
  constructor(
    readonly pid: number,
    options: PhysicalDmaOptions = {},
  ) {
    this.rescanNs = (options.rescanIntervalMs ?? 1) * 1e6;
    this.pagemap = open("/proc/self/pagemap", K.O_RDONLY | K.O_CLOEXEC);
    try {
      if (readClientMappings(pid) === null) {
        throw new IxgbeSimError(
          "BAD_OPTION",
          `process ${pid} does not exist; give the client's pid`,
        );
      }
      this.scan();
    } catch (e) {
      this.close();
      throw e;
    }
  }

  /**
   * Resolves a `len`-byte access at physical address (lo | hi << 32): the window index, with
   * `offset` set, or -1 (a DMA fault). The client's shared hugepage memory is read-write, so
   * `access` changes nothing. Lookup only: a miss never reads /proc (see refresh()).
   */
  resolve(lo: number, hi: number, len: number, _access = 1): number {
    const pa = hi * TWO_32 + lo;
    if (pa >= this.lastBase && pa + len <= this.lastEnd) {
      this.offset = this.lastWinOff + (pa - this.lastBase);
      return this.lastWin;
    }
    const w = this.search(pa, len);
    if (w < 0) this.faults++;
    return w;
  }

  /**
   * Slow path: looks for memory the client mapped since the last look, at most once per
   * interval. Reads /proc/<pid>/maps, and smaps only when a shared mapping is new. Returns true
   * when windows were added (accesses that missed may now resolve).
   */
  refresh(): boolean {
    if (this.clientGone || Bun.nanoseconds() - this.lastScan < this.rescanNs) return false;
    this.lastScan = Bun.nanoseconds();
    this.checks++;
    let keys: string[] | null;
    try {
      keys = sharedMappingKeys(this.pid);
    } catch {
      keys = null;
    }
    if (keys === null) {
      this.clientGone = true;
      return false;
    }
    if (keys.every((k) => this.seen.has(k))) return false;
    return this.scan() > 0;
  }

  /** Maps client mappings not seen before; returns how many windows were added. */
  scan(): number {
    this.scans++;
    this.lastScan = Bun.nanoseconds();
    let keys: string[] | null;
    try {
      keys = sharedMappingKeys(this.pid);
    } catch {
      keys = null;
    }
    const mappings = keys === null ? null : readClientMappings(this.pid);
    if (keys === null || mappings === null) {
      this.clientGone = true;
      return 0;
    }
    for (const k of keys) this.seen.add(k);
    for (const m of mappings) this.seen.add(m.key);
    let added = 0;
    for (const m of mappings) {
      if (this.known.has(m.key)) continue;
      if (this.mapWindow(m)) added++;
    }
    if (added > 0) this.rebuild();
    return added;
  }

  /** Bytes of client memory mapped here. */
  get mappedBytes(): number {
    return this.bytes.reduce((a, b) => a + b, 0);
  }

  /** Unmaps every window and closes pagemap. Idempotent. */
  close(): void {
    for (let i = 0; i < this.address.length; i++) {
      const bytes = this.bytes[i] as number;
      if (bytes > 0) munmap(this.address[i] as number, bytes);
      this.bytes[i] = 0;
      this.u8[i] = new Uint8Array(0);
      this.u32[i] = new Uint32Array(0);
    }
    this.extents = [];
    this.setTable();
    if (this.pagemap >= 0) close(this.pagemap);
    this.pagemap = -1;
    this.clientGone = true; // no rescans after close
  }

  [Symbol.dispose](): void {
    this.close();
  }

  /** Binary search for the extent holding [pa, pa + len); caches it as the last hit. */
  private search(pa: number, len: number): number {
    const base = this.base;
    let lo = 0;
    let hi = base.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if ((base[mid] as number) <= pa) lo = mid + 1;
      else hi = mid - 1;
    }
    if (hi < 0 || pa + len > (this.end[hi] as number)) return -1;
    this.lastBase = base[hi] as number;
    this.lastEnd = this.end[hi] as number;
    this.lastWin = this.win[hi] as number;
    this.lastWinOff = this.winOff[hi] as number;
    this.offset = this.lastWinOff + (pa - this.lastBase);
    return this.lastWin;
  }

  /** Maps one client mapping here and adds its huge pages to the extent list. */
  private mapWindow(m: ClientMapping): boolean {
    const path = `/proc/${this.pid}/map_files/${m.start.toString(16)}-${m.end.toString(16)}`;
    const bytes = m.end - m.start;
    let fd: number;
    try {
      fd = open(path, K.O_RDWR | K.O_CLOEXEC);
    } catch (e) {
      if (e instanceof SysError && e.code === "ENOENT") return false; // unmapped meanwhile
      throw new IxgbeSimError(
        "BAD_WINDOW",
        `cannot open ${path} (${m.path}): ${(e as Error).message}; this needs root (CAP_SYS_ADMIN)`,
        { cause: e },
      );
    }
    let address: number;
    try {
      address = mmap(
        bytes,
        K.PROT_READ | K.PROT_WRITE,
        K.MAP_SHARED | K.MAP_POPULATE,
        fd,
        m.fileOffset,
      );
    } finally {
      close(fd);
    }
    const window = this.address.length;
    this.address.push(address);
    this.bytes.push(bytes);
    this.u8.push(new Uint8Array(viewOf(address, bytes)));
    this.u32.push(new Uint32Array(viewOf(address, bytes)));
    this.known.add(m.key);
    for (let off = 0; off < bytes; off += m.pageSize) {
      const pa = this.physical(address + off, path);
      this.extents.push({ base: pa, end: pa + m.pageSize, window, windowOffset: off });
    }
    return true;
  }

  /** Physical address of the page at virtual `va` here, from /proc/self/pagemap. */
  private physical(va: number, what: string): number {
    pread(this.pagemap, this.entry, 8, Math.floor(va / 4096) * 8);
    const lo = this.entry[0] as number;
    const hi = this.entry[1] as number;
    const pfn = (hi & 0x7fffff) * TWO_32 + lo; // bits 0..54
    if ((hi & 0x80000000) === 0 || pfn === 0) {
      throw new IxgbeSimError(
        "BAD_WINDOW",
        `pagemap gives no physical page for ${what} (present=${hi >>> 31}, pfn=${pfn}); ` +
          "PFNs read as 0 without CAP_SYS_ADMIN: run as root",
      );
    }
    return pfn * 4096;
  }

  /** Sorts the extents, merges physically and window-contiguous neighbours, rebuilds the table. */
  private rebuild(): void {
    const sorted = [...this.extents].sort((a, b) => a.base - b.base);
    const merged: Extent[] = [];
    for (const e of sorted) {
      const prev = merged[merged.length - 1];
      if (
        prev !== undefined &&
        prev.end === e.base &&
        prev.window === e.window &&
        prev.windowOffset + (prev.end - prev.base) === e.windowOffset
      ) {
        prev.end = e.end;
      } else {
        merged.push({ ...e });
      }
    }
    this.extents = merged;
    this.setTable();
    this.generation++;
  }

  private setTable(): void {
    const n = this.extents.length;
    this.base = new Float64Array(n);
    this.end = new Float64Array(n);
    this.win = new Int32Array(n);
    this.winOff = new Float64Array(n);
    this.extents.forEach((e, i) => {
      this.base[i] = e.base;
      this.end[i] = e.end;
      this.win[i] = e.window;
      this.winOff[i] = e.windowOffset;
    });
    this.lastBase = 0;
    this.lastEnd = 0; // empty: the fast path never matches until the next hit
    this.lastWin = -1;
  }
}
