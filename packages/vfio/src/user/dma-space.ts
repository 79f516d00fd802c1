/*
 * The device model's view of client memory: windows mapped from the fds the client sent with
 * DMA_MAP. resolve() runs per descriptor/packet in the model, so it allocates nothing: it
 * returns a view index (or -1 for a DMA fault) and leaves the byte offset in `offset`.
 * Windows change only inside the server's poll(); `generation` moves whenever they do.
 *
 * Big windows: one JS ArrayBuffer cannot cover more than 4 GiB, and offsets past 2^31 invite
 * 32-bit mistakes, so a window is seen through views: view k of a window starts VIEW_STRIDE*k
 * bytes in and reaches VIEW_SPAN bytes (or to the window's end). An access is served by the
 * view its first byte falls in; views overlap by VIEW_SPAN - VIEW_STRIDE, so any access of up
 * to that many bytes fits in one view wherever it starts, and every offset is below 2^31.
 */
import { constants as K, mmap, munmap, viewOf } from "@dataplane/sys";

const TWO_32 = 4294967296;
/** Bytes between the starts of two views of one window. */
export const VIEW_STRIDE = 2 ** 30;
/** Bytes one view covers at most (accesses up to VIEW_SPAN - VIEW_STRIDE never straddle). */
export const VIEW_SPAN = 2 ** 31 - 4096;

/** Device access kinds, as bits: what the DMA does to the memory. */
export const DMA_READ = 1;
export const DMA_WRITE = 2;
export const DMA_READ_WRITE = 3;

/**
 * Client memory windows as the device model sees them (IOVA -> local mapping). Structurally
 * the DmaSpace shape ixgbe-sim consumes: resolve(lo, hi, len, access), offset, u8/u32/address
 * (per view), generation.
 */
export class DmaSpace {
  /** Byte offset inside the view found by the last successful resolve() (below 2^31). */
  offset = 0;
  /** Per view: a byte view of the local mapping (the array is updated in place). */
  readonly u8: Uint8Array[] = [];
  /** Per view: a 32-bit view of the local mapping (the array is updated in place). */
  readonly u32: Uint32Array[] = [];
  /** Per view: the native address of the view's first byte (for copyMemory). */
  readonly address: number[] = [];
  /** Changes whenever a window is added or removed; cached view indexes are then stale. */
  generation = 0;
  /** Accesses that resolve() refused (unmapped, straddling, or not allowed by the window). */
  faults = 0;

  // Per window (client mapping), in map order.
  private readonly starts: number[] = [];
  private readonly ends: number[] = [];
  private readonly access: number[] = [];
  private readonly mapped: number[] = []; // native address of the whole mapping
  private readonly viewCount: number[] = []; // its views, contiguous, in window order
  // Per view.
  private readonly vStart: number[] = [];
  private readonly vOwnEnd: number[] = []; // accesses starting below this belong to the view
  private readonly vEnd: number[] = [];
  private readonly vAccess: number[] = [];
  private last = 0;

  constructor(
    /** Most windows at once; DMA_MAP beyond it is refused. */
    readonly maxWindows = 1024,
  ) {}

  /** Number of live windows. */
  get count(): number {
    return this.starts.length;
  }

  /**
   * Resolves a `len`-byte access at IOVA (hi << 32 | lo) of the given kind (DMA_READ by
   * default). Returns the view holding all of it and sets `offset`, or returns -1 and counts a
   * fault when any byte is unmapped or the window does not allow the access.
   */
  resolve(lo: number, hi: number, len: number, access = DMA_READ): number {
    const iova = (hi >>> 0) * TWO_32 + (lo >>> 0);
    const end = iova + len;
    const vStart = this.vStart;
    const vOwnEnd = this.vOwnEnd;
    let i = this.last;
    if (!(i < vStart.length && iova >= vStart[i] && iova < vOwnEnd[i] && end <= this.vEnd[i])) {
      i = -1;
      for (let k = 0; k < vStart.length; k++) {
        if (iova >= vStart[k] && iova < vOwnEnd[k]) {
          if (end <= this.vEnd[k]) i = k;
          break;
        }
      }
      if (i < 0) {
        this.faults++;
        return -1;
      }
      this.last = i;
    }
    if ((this.vAccess[i] & access) !== access) {
      this.faults++;
      return -1;
    }
    this.offset = iova - vStart[i];
    return i;
  }

  /** resolve() for a device write. */
  resolveWrite(lo: number, hi: number, len: number): number {
    return this.resolve(lo, hi, len, DMA_WRITE);
  }

  /** The IOVA at which window `index` starts. */
  iovaOf(index: number): number {
    return this.starts[index] ?? -1;
  }

  /** The size in bytes of window `index`. */
  sizeOf(index: number): number {
    return (this.ends[index] ?? 0) - (this.starts[index] ?? 0);
  }

  /** Index of the window mapped at exactly (iova, size), or -1. */
  find(iova: number, size: number): number {
    for (let i = 0; i < this.starts.length; i++) {
      if (this.starts[i] === iova && this.ends[i] === iova + size) return i;
    }
    return -1;
  }

  /** True when [iova, iova+size) overlaps a live window. */
  overlaps(iova: number, size: number): boolean {
    for (let i = 0; i < this.starts.length; i++) {
      if (iova < (this.ends[i] as number) && iova + size > (this.starts[i] as number)) return true;
    }
    return false;
  }

  /**
   * Maps `size` bytes of `fd` at `fdOffset` as the window for [iova, iova+size), allowing the
   * device the accesses in `access` (DMA_READ/DMA_WRITE bits). The mapping is read-only when
   * `readOnlyFd` (or when the device may only read). Throws SysError when mmap refuses; nothing
   * stays mapped when it throws. The caller checks the file first (see dma-file.ts).
   */
  map(
    iova: number,
    size: number,
    fd: number,
    fdOffset: number,
    access: number,
    readOnlyFd = false,
  ): number {
    const prot = readOnlyFd || access === DMA_READ ? K.PROT_READ : K.PROT_READ | K.PROT_WRITE;
    const address = mmap(size, prot, K.MAP_SHARED, fd, fdOffset);
    try {
      this.starts.push(iova);
      this.ends.push(iova + size);
      this.access.push(access);
      this.mapped.push(address);
      this.viewCount.push(0);
      this.addViews(this.starts.length - 1);
      this.generation++;
    } catch (e) {
      this.drop(this.starts.length - 1);
      munmap(address, size);
      throw e;
    }
    return this.starts.length - 1;
  }

  /** Unmaps window `index`; later windows move down one index. */
  unmap(index: number): void {
    if (index < 0 || index >= this.starts.length) return;
    const address = this.mapped[index] as number;
    const size = (this.ends[index] as number) - (this.starts[index] as number);
    this.drop(index);
    try {
      munmap(address, size);
    } catch {
      // the address range came from our own mmap; nothing more can be released
    }
  }

  /** Unmaps every window. */
  clear(): void {
    while (this.starts.length > 0) this.unmap(this.starts.length - 1);
  }

  /** Forgets window `index` and its views (slow path: DMA_UNMAP, failed DMA_MAP). */
  private drop(index: number): void {
    if (index < 0) return;
    let first = 0;
    for (let w = 0; w < index; w++) first += this.viewCount[w] as number;
    const n = this.viewCount[index] as number;
    for (const a of [
      this.vStart,
      this.vOwnEnd,
      this.vEnd,
      this.vAccess,
      this.u8,
      this.u32,
      this.address,
    ]) {
      a.splice(first, n);
    }
    for (const a of [this.starts, this.ends, this.access, this.mapped, this.viewCount]) {
      a.splice(index, 1);
    }
    this.last = 0;
    this.generation++;
  }

  /** Appends the views of window `w` (windows' views are kept in window order). */
  private addViews(w: number): void {
    const start = this.starts[w] as number;
    const end = this.ends[w] as number;
    for (let at = start; at < end; at += VIEW_STRIDE) {
      const bytes = Math.min(VIEW_SPAN, end - at);
      const native = (this.mapped[w] as number) + (at - start);
      const buffer = viewOf(native, bytes);
      this.vStart.push(at);
      this.vOwnEnd.push(Math.min(at + VIEW_STRIDE, end));
      this.vEnd.push(at + bytes);
      this.vAccess.push(this.access[w] as number);
      this.u8.push(new Uint8Array(buffer));
      this.u32.push(new Uint32Array(buffer, 0, Math.floor(bytes / 4)));
      this.address.push(native);
      this.viewCount[w] = (this.viewCount[w] as number) + 1;
    }
  }
}
