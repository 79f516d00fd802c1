/*
 * Mmio over one VFIO region of a device fd: the areas the kernel lets us mmap are read and
 * written directly, every other register goes through pread/pwrite on the device fd at
 * region.offset + offset ("trapped", handled by vfio-pci in the kernel).
 */
import type { Mmio, MmioWord } from "@dataplane/pci";
import { constants, mmap, munmap, pread, pwrite, viewOf } from "@dataplane/sys";
import type { RegionInfo, SparseArea } from "../device.ts";
import { VfioError } from "../errors.ts";
import { VFIO } from "./abi.ts";

const PAGE = 4096;

/** The areas of `info` that may be mmapped: the sparse list, the whole region, or none. */
export function mappableAreas(info: RegionInfo): readonly SparseArea[] {
  if ((info.flags & VFIO.REGION_INFO_FLAG_MMAP) === 0 || info.size === 0) return [];
  return info.sparseAreas.length > 0 ? info.sparseAreas : [{ offset: 0, size: info.size }];
}

/**
 * An Mmio over a region. read32 uses Atomics.load on mapped words (the device writes them);
 * write32 is a plain store; barrier() is an Atomics store to a private word (a full fence
 * that touches no register).
 */
export class RegionMmio implements Mmio {
  readonly size: number;
  private fd: number;
  private readonly regionOffset: number;
  private readonly starts: Float64Array; // area start offsets within the region
  private readonly ends: Float64Array;
  private views: Uint32Array[];
  private readonly addresses: number[];
  private readonly scratch = new Uint32Array(1); // trapped accesses go through this word
  private readonly fence = new Int32Array(1);

  /** Maps `areas` of the region at `info.offset` in device fd `fd` (the fd stays the caller's). */
  constructor(fd: number, info: RegionInfo, areas: readonly SparseArea[] = mappableAreas(info)) {
    this.fd = fd;
    this.size = info.size;
    this.regionOffset = info.offset;
    this.starts = new Float64Array(areas.length);
    this.ends = new Float64Array(areas.length);
    this.views = [];
    this.addresses = [];
    try {
      areas.forEach((area, i) => {
        this.checkArea(info, area);
        const prot = constants.PROT_READ | constants.PROT_WRITE;
        const address = mmap(area.size, prot, constants.MAP_SHARED, fd, info.offset + area.offset);
        this.addresses.push(address);
        this.views.push(new Uint32Array(viewOf(address, area.size - (area.size % 4))));
        this.starts[i] = area.offset;
        this.ends[i] = area.offset + area.size;
      });
    } catch (e) {
      this.close();
      if (e instanceof VfioError) throw e;
      throw new VfioError(
        "BAD_ARGUMENT",
        `mmap of region ${info.index} failed: ${(e as Error).message}`,
        {
          cause: e,
        },
      );
    }
  }

  private checkArea(info: RegionInfo, area: SparseArea): void {
    if (area.offset % PAGE !== 0 || area.offset + area.size > info.size || area.size <= 0) {
      throw new VfioError(
        "BAD_ARGUMENT",
        `region ${info.index} area [${area.offset}, +${area.size}) is not page-aligned inside the ${info.size}-byte region`,
      );
    }
  }

  /** Reads the 32-bit register at byte `offset`. */
  read32(offset: number): number {
    const { starts, ends, views } = this;
    for (let i = 0; i < views.length; i++) {
      if (offset >= (starts[i] as number) && offset < (ends[i] as number)) {
        return Atomics.load(views[i] as Uint32Array, (offset - (starts[i] as number)) >>> 2);
      }
    }
    this.trap();
    pread(this.fd, this.scratch, 4, this.regionOffset + offset);
    return this.scratch[0] as number;
  }

  /** Writes the 32-bit register at byte `offset`. */
  write32(offset: number, value: number): void {
    const { starts, ends, views } = this;
    for (let i = 0; i < views.length; i++) {
      if (offset >= (starts[i] as number) && offset < (ends[i] as number)) {
        (views[i] as Uint32Array)[(offset - (starts[i] as number)) >>> 2] = value;
        return;
      }
    }
    this.trap();
    this.scratch[0] = value;
    pwrite(this.fd, this.scratch, 4, this.regionOffset + offset);
  }

  private trap(): void {
    if (this.fd < 0) throw new VfioError("CLOSED", "register access after the region was closed");
  }

  /** The mapped word at `offset`, or null when that register is trapped. */
  word(offset: number): MmioWord | null {
    if (!Number.isInteger(offset) || offset < 0 || offset % 4 !== 0 || offset + 4 > this.size) {
      throw new VfioError(
        "BAD_ARGUMENT",
        `register offset ${offset} is not 4-byte aligned inside ${this.size} bytes`,
      );
    }
    for (let i = 0; i < this.views.length; i++) {
      const start = this.starts[i] as number;
      if (offset >= start && offset + 4 <= (this.ends[i] as number)) {
        return { view: this.views[i] as Uint32Array, index: (offset - start) >>> 2 };
      }
    }
    return null;
  }

  /** Orders every earlier store before any later one. */
  barrier(): void {
    Atomics.store(this.fence, 0, 0);
  }

  /** Unmaps every area; views from word() must not be used afterwards. Idempotent. */
  close(): void {
    if (this.fd < 0) return;
    this.fd = -1;
    this.views = [];
    const sizes = this.ends.map((end, i) => end - (this.starts[i] as number));
    this.addresses.forEach((address, i) => {
      munmap(address, sizes[i] as number);
    });
    this.addresses.length = 0;
  }

  [Symbol.dispose](): void {
    this.close();
  }
}
