/*
 * Mmio over one vfio-user region: sparse areas the server let us mmap are plain 32-bit views
 * (read with Atomics.load, since the device model writes them from another process); every
 * other offset is trapped into a REGION_READ/REGION_WRITE round trip.
 */
import type { Mmio, MmioWord } from "@dataplane/pci";
import { munmap } from "@dataplane/sys";
import { VfioError } from "../errors.ts";

/** What a trapped access needs from the client. */
export interface TrapPort {
  regionRead32(region: number, offset: number): number;
  regionRead32Many(region: number, offsets: Int32Array, out: Uint32Array, count: number): void;
  regionWrite32(region: number, offset: number, value: number): void;
}

/** One mmapped sparse area: region bytes [start, end) at native `address`. */
export interface MappedArea {
  readonly start: number;
  readonly end: number;
  readonly address: number;
  readonly view: Uint32Array;
}

/** Mmio over one vfio-user region: mapped sparse areas direct, the rest trapped. */
export class UserMmio implements Mmio {
  private readonly starts: number[];
  private readonly ends: number[];
  private readonly views: Uint32Array[];
  private readonly fence = new Int32Array(1);
  private closed = false;

  constructor(
    private readonly port: TrapPort,
    readonly region: number,
    readonly size: number,
    private readonly areas: readonly MappedArea[],
    private readonly onClose: (m: UserMmio) => void,
  ) {
    this.starts = areas.map((a) => a.start);
    this.ends = areas.map((a) => a.end);
    this.views = areas.map((a) => a.view);
  }

  /** Index of the mapped area holding the word at `offset`, or -1 when it is trapped. */
  private area(offset: number): number {
    const { starts, ends } = this;
    for (let i = 0; i < starts.length; i++) {
      if (offset >= (starts[i] as number) && offset < (ends[i] as number)) return i;
    }
    return -1;
  }

  private check(offset: number): void {
    if (this.closed)
      throw new VfioError(
        "CLOSED",
        `region ${this.region} read/write after close(); map the region again from an open device`,
      );
    if ((offset & 3) !== 0 || offset < 0 || offset + 4 > this.size) {
      throw new VfioError(
        "BAD_ARGUMENT",
        `register offset 0x${offset.toString(16)} is not a 4-byte aligned offset inside ` +
          `region ${this.region} (size 0x${this.size.toString(16)})`,
      );
    }
  }

  read32(offset: number): number {
    this.check(offset);
    const i = this.area(offset);
    if (i < 0) return this.port.regionRead32(this.region, offset);
    return Atomics.load(this.views[i] as Uint32Array, (offset - (this.starts[i] as number)) >>> 2);
  }

  /**
   * read32 of offsets[0..count) in order into `out`; the trapped ones go out together (one
   * round trip per batch instead of one per register), mapped ones are plain loads.
   */
  readMany(offsets: Int32Array, out: Uint32Array, count = offsets.length): void {
    let trapped = 0;
    for (let i = 0; i < count; i++) {
      const offset = offsets[i] as number;
      this.check(offset);
      if (this.area(offset) < 0) trapped++;
    }
    if (trapped === count) {
      this.port.regionRead32Many(this.region, offsets, out, count);
      return;
    }
    for (let i = 0; i < count; i++) out[i] = this.read32(offsets[i] as number);
  }

  write32(offset: number, value: number): void {
    this.check(offset);
    const i = this.area(offset);
    if (i < 0) {
      this.port.regionWrite32(this.region, offset, value);
      return;
    }
    const view = this.views[i] as Uint32Array;
    Atomics.store(view, (offset - (this.starts[i] as number)) >>> 2, value);
  }

  word(offset: number): MmioWord | null {
    this.check(offset);
    const i = this.area(offset);
    if (i < 0) return null;
    return {
      view: this.views[i] as Uint32Array,
      index: (offset - (this.starts[i] as number)) >>> 2,
    };
  }

  barrier(): void {
    // A locked read-modify-write is a full fence on x86-64: earlier stores become visible first.
    Atomics.add(this.fence, 0, 0);
  }

  /** Unmaps the areas. Views handed out by word() must not be touched afterwards. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const a of this.areas) {
      try {
        munmap(a.address, a.end - a.start);
      } catch {
        // the range is ours; a failure here leaves nothing else to release
      }
    }
    this.onClose(this);
  }

  [Symbol.dispose](): void {
    this.close();
  }
}
