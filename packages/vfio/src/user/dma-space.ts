/*
 * The device model's view of client memory: windows mapped from the fds the client sent with
 * DMA_MAP. resolve() runs per descriptor/packet in the model, so it allocates nothing: it
 * returns a window index (or -1 for a DMA fault) and leaves the byte offset in `offset`.
 * Windows change only inside the server's poll(); `generation` moves whenever they do.
 */
import { constants as K, mmap, munmap, viewOf } from "@dataplane/sys";

const TWO_32 = 4294967296;

/**
 * Client memory windows as the device model sees them (IOVA -> local mapping). Structurally
 * the DmaSpace shape ixgbe-sim consumes: resolve(lo, hi, len), offset, u8/u32/address, generation.
 */
export class DmaSpace {
  /** Byte offset inside the window found by the last successful resolve(). */
  offset = 0;
  /** Per window: a byte view of the local mapping. */
  readonly u8: Uint8Array[] = [];
  /** Per window: a 32-bit view of the local mapping. */
  readonly u32: Uint32Array[] = [];
  /** Per window: the native address of the mapping's first byte (for copyMemory). */
  readonly address: number[] = [];
  /** Changes whenever a window is added or removed; cached window indexes are then stale. */
  generation = 0;
  /** Accesses that resolve() refused (unmapped, straddling or read-only). */
  faults = 0;
  private readonly starts: number[] = [];
  private readonly ends: number[] = [];
  private readonly writable: boolean[] = [];
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
   * Resolves a `len`-byte access at IOVA (hi << 32 | lo). Returns the window holding all of it
   * and sets `offset`, or returns -1 and counts a fault when any byte is not mapped.
   */
  resolve(lo: number, hi: number, len: number): number {
    const iova = (hi >>> 0) * TWO_32 + (lo >>> 0);
    const end = iova + len;
    const starts = this.starts;
    const ends = this.ends;
    const last = this.last;
    if (last < starts.length && iova >= starts[last] && end <= ends[last]) {
      this.offset = iova - starts[last];
      return last;
    }
    for (let i = 0; i < starts.length; i++) {
      if (iova >= starts[i] && end <= ends[i]) {
        this.last = i;
        this.offset = iova - starts[i];
        return i;
      }
    }
    this.faults++;
    return -1;
  }

  /** resolve() for a device write: also a fault when the client mapped the range read-only. */
  resolveWrite(lo: number, hi: number, len: number): number {
    const i = this.resolve(lo, hi, len);
    if (i < 0 || this.writable[i]) return i;
    this.faults++;
    return -1;
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
      if (iova < this.ends[i] && iova + size > this.starts[i]) return true;
    }
    return false;
  }

  /**
   * Maps `size` bytes of `fd` at `fdOffset` as the window for [iova, iova+size).
   * Throws SysError when mmap refuses (bad fd, misaligned hugetlb offset or size, ...).
   */
  map(iova: number, size: number, fd: number, fdOffset: number, writable: boolean): number {
    const address = mmap(size, K.PROT_READ | K.PROT_WRITE, K.MAP_SHARED, fd, fdOffset);
    const buffer = viewOf(address, size);
    this.starts.push(iova);
    this.ends.push(iova + size);
    this.writable.push(writable);
    this.address.push(address);
    this.u8.push(new Uint8Array(buffer));
    this.u32.push(new Uint32Array(buffer, 0, Math.floor(size / 4)));
    this.generation++;
    return this.starts.length - 1;
  }

  /** Unmaps window `index`; the last window takes its index. */
  unmap(index: number): void {
    const n = this.starts.length - 1;
    if (index < 0 || index > n) return;
    const address = this.address[index] as number;
    const size = (this.ends[index] as number) - (this.starts[index] as number);
    for (const a of [this.starts, this.ends, this.writable, this.address, this.u8, this.u32]) {
      (a as unknown[])[index] = a[n];
      a.pop();
    }
    this.last = 0;
    this.generation++;
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
}
