/*
 * DmaSwitch: the DmaSpace a Port is built with when the memory behind it changes hands. A port
 * served both over vfio-user (windows from DMA_MAP) and as a sysfs-style directory (physical
 * addresses of the client found through /proc) points at whichever client is attached; with
 * none, every access faults. Switching happens only between steps (in the device loop).
 */
import type { DmaSpace } from "../dma/dma-space.ts";

/** A space with no windows: every access is a DMA fault. */
class NoMemory implements DmaSpace {
  offset = 0;
  readonly u8: Uint8Array[] = [];
  readonly u32: Uint32Array[] = [];
  readonly address: number[] = [];
  readonly generation = 0;

  resolve(_lo: number, _hi: number, _len: number, _access: number): number {
    return -1;
  }
}

/** Forwards to the current DmaSpace; `generation` moves on every switch. */
export class DmaSwitch implements DmaSpace {
  /** Byte offset inside the window found by the last successful resolve(). */
  offset = 0;
  /** Accesses to host memory the device has attempted (resolve calls, faults included). */
  accesses = 0;
  /** The current space's window views (the same arrays, updated in place by that space). */
  u8: Uint8Array[];
  u32: Uint32Array[];
  address: number[];
  private current: DmaSpace;
  private base = 0;

  constructor() {
    this.current = new NoMemory();
    this.u8 = this.current.u8;
    this.u32 = this.current.u32;
    this.address = this.current.address;
  }

  /** Changes whenever the windows may have changed, including on a switch. */
  get generation(): number {
    return this.base + this.current.generation;
  }

  /** The space accesses go to now (null: none). */
  get target(): DmaSpace | null {
    return this.current instanceof NoMemory ? null : this.current;
  }

  /** Sends every later access to `space` (null: fault everything). */
  use(space: DmaSpace | null): void {
    if (space === this.target) return;
    const before = this.generation;
    this.current = space ?? new NoMemory();
    this.base = before + 1 - this.current.generation;
    this.u8 = this.current.u8;
    this.u32 = this.current.u32;
    this.address = this.current.address;
  }

  /** Forwards to the current space's refresh() (slow path). */
  refresh(): boolean {
    return this.current.refresh?.() ?? false;
  }

  /**
   * Per-packet path: one forwarded call, no allocation. `lo` may arrive as a signed int32 (the
   * model masks register values with `&`); not every space takes that, so it goes on unsigned.
   */
  resolve(lo: number, hi: number, len: number, access: number): number {
    const space = this.current;
    this.accesses++;
    const w = space.resolve(lo >>> 0, hi >>> 0, len, access);
    if (w >= 0) this.offset = space.offset;
    return w;
  }
}
