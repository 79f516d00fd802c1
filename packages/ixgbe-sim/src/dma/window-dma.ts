/*
 * WindowDmaSpace: a DmaSpace made of windows, each a range of device addresses backed by memory
 * mapped in this process. Used by tests and benchmarks (anonymous or hugepage mappings at a
 * fixed IOVA base) and by servers whose DMA regions arrive as mappings (vfio-user DMA_MAP).
 */
import { addressOf, constants as C, mmap, munmap, viewOf } from "@dataplane/sys";
import { IxgbeSimError } from "../errors.ts";
import { DMA_READ, type DmaSpace } from "./dma-space.ts";

const TWO_32 = 4294967296;
const HUGE_2M = 2 * 1024 * 1024;

/** How `WindowDmaSpace.map` backs a new window. */
export interface MapOptions {
  /** Use 2 MiB hugepages (MAP_HUGETLB); the size is rounded up to 2 MiB. Default false. */
  readonly hugepages?: boolean;
}

/**
 * A DmaSpace over a list of windows. Window indexes are stable: removing a window leaves a
 * hole, so indexes cached by the model stay meaningful until `generation` changes.
 */
export class WindowDmaSpace implements DmaSpace {
  /** Byte offset inside the window found by the last successful resolve(). */
  offset = 0;
  /** Per window: a byte view of the local memory. */
  readonly u8: Uint8Array[] = [];
  /** Per window: a 32-bit view of the local memory. */
  readonly u32: Uint32Array[] = [];
  /** Per window: the native address of the window's first byte. */
  readonly address: number[] = [];
  /** Bumped on every add/remove. */
  generation = 0;

  private readonly base: number[] = [];
  private readonly end: number[] = [];
  private readonly owned: number[] = []; // bytes of a mapping this object must munmap, else 0
  private last = 0;
  private closed = false;

  /**
   * Adds a window that makes `buffer` visible at device addresses [iova, iova + byteLength).
   * Returns its index. Throws BAD_WINDOW for an unaligned or negative IOVA, WINDOW_OVERLAP when
   * the range meets an existing window.
   */
  addWindow(iova: number, buffer: ArrayBuffer): number {
    this.guard();
    const bytes = buffer.byteLength;
    if (!Number.isSafeInteger(iova) || iova < 0 || iova % 4 !== 0 || bytes === 0) {
      throw new IxgbeSimError(
        "BAD_WINDOW",
        `DMA window at IOVA ${iova} with ${bytes} bytes: use a non-negative, 4-byte aligned IOVA and a non-empty buffer`,
      );
    }
    for (let i = 0; i < this.base.length; i++) {
      const b = this.base[i] ?? -1;
      if (b >= 0 && iova < (this.end[i] ?? 0) && b < iova + bytes) {
        throw new IxgbeSimError(
          "WINDOW_OVERLAP",
          `DMA window 0x${iova.toString(16)}+0x${bytes.toString(16)} overlaps window ${i} at 0x${b.toString(16)}; pick a free IOVA range`,
        );
      }
    }
    this.base.push(iova);
    this.end.push(iova + bytes);
    this.u8.push(new Uint8Array(buffer));
    this.u32.push(new Uint32Array(buffer, 0, bytes >>> 2));
    this.address.push(addressOf(buffer));
    this.owned.push(0);
    this.generation++;
    return this.base.length - 1;
  }

  /**
   * Maps `bytes` of fresh zeroed memory (anonymous, or 2 MiB hugepages) at `iova` and adds it
   * as a window owned by this space (released by close()). Returns the window index.
   */
  map(iova: number, bytes: number, options: MapOptions = {}): number {
    this.guard();
    const huge = options.hugepages === true;
    const size = huge ? Math.ceil(bytes / HUGE_2M) * HUGE_2M : Math.ceil(bytes / 4096) * 4096;
    const flags = C.MAP_PRIVATE | C.MAP_ANONYMOUS | C.MAP_POPULATE | (huge ? C.MAP_HUGETLB : 0);
    const address = mmap(size, C.PROT_READ | C.PROT_WRITE, flags);
    try {
      const index = this.addWindow(iova, viewOf(address, size));
      this.owned[index] = size;
      this.address[index] = address;
      return index;
    } catch (e) {
      munmap(address, size);
      throw e;
    }
  }

  /** Removes window `index` (its index is not reused); unmaps it when this space mapped it. */
  removeWindow(index: number): void {
    const size = this.owned[index] ?? 0;
    if ((this.base[index] ?? -1) < 0) return;
    this.base[index] = -1;
    this.end[index] = -1;
    if (size > 0) munmap(this.address[index] ?? 0, size);
    this.owned[index] = 0;
    this.u8[index] = new Uint8Array(0);
    this.u32[index] = new Uint32Array(0);
    this.generation++;
  }

  /** Device address of byte `byteOffset` of window `index` (a number below 2^53). */
  iovaOf(index: number, byteOffset = 0): number {
    return (this.base[index] ?? Number.NaN) + byteOffset;
  }

  /**
   * Resolves a `len`-byte access at (lo | hi << 32). Per-packet path: no allocation; the last
   * window hit is tried first because rings and buffers of one queue sit in one window. Every
   * window is readable and writable, so `access` changes nothing here.
   */
  resolve(lo: number, hi: number, len: number, _access = DMA_READ): number {
    const a = hi * TWO_32 + lo;
    const base = this.base;
    const end = this.end;
    let i = this.last;
    const b = base[i] ?? -1;
    if (b >= 0 && a >= b && a + len <= (end[i] ?? 0)) {
      this.offset = a - b;
      return i;
    }
    for (i = 0; i < base.length; i++) {
      const bi = base[i] ?? -1;
      if (bi >= 0 && a >= bi && a + len <= (end[i] ?? 0)) {
        this.last = i;
        this.offset = a - bi;
        return i;
      }
    }
    return -1;
  }

  /** Unmaps every window this space mapped. Idempotent. */
  close(): void {
    if (this.closed) return;
    for (let i = 0; i < this.base.length; i++) this.removeWindow(i);
    this.closed = true;
  }

  [Symbol.dispose](): void {
    this.close();
  }

  private guard(): void {
    if (this.closed)
      throw new IxgbeSimError("CLOSED", "WindowDmaSpace is closed; create a new one");
  }
}
