/*
 * DMA mappings of one container: IOMMU_MAP_DMA / UNMAP_DMA with the checks the kernel would
 * otherwise answer with a bare errno (page alignment, valid IOVA windows), and a reference
 * count per (iova, size) so two devices sharing the container can map the same buffer.
 * place() picks the IOVA when the caller has none: the virtual address when the IOMMU's
 * windows include it (ixy's IOVA = VA), else one allocated inside them (iova-alloc.ts).
 */
import { ioctl, type SysError } from "@dataplane/sys";
import { VfioError } from "../errors.ts";
import { IOCTL, VFIO } from "./abi.ts";
import { IovaAllocator } from "./iova-alloc.ts";
import {
  decodeUnmappedBytes,
  encodeDmaMap,
  encodeDmaUnmap,
  type IommuInfo,
  type IovaRange,
} from "./structs.ts";

/**
 * The IOVA window assumed when the kernel reports none (no IOVA_RANGE capability, kernels
 * before 5.4): 48 bits, what 4-level IOMMU page tables and x86-64 user addresses both cover.
 */
export const DEFAULT_IOVA_LIMIT = 2 ** 48;

/** What a map request is checked against. */
export interface DmaLimits {
  readonly minPageSize: number;
  readonly iovaRanges: readonly IovaRange[];
}

const hex = (n: number): string => `0x${n.toString(16)}`;

/** Throws VfioError DMA unless [iova, iova+size) is page-aligned and inside one valid window. */
export function checkDmaRequest(
  limits: DmaLimits,
  vaddr: number,
  iova: number,
  size: number,
): void {
  const page = limits.minPageSize;
  for (const [name, value] of [
    ["address", vaddr],
    ["IOVA", iova],
    ["size", size],
  ] as const) {
    if (!Number.isSafeInteger(value) || value < 0 || value % page !== 0) {
      throw new VfioError(
        "DMA",
        `DMA ${name} ${hex(value)} is not a multiple of the IOMMU page size ${page}`,
      );
    }
  }
  if (size === 0) throw new VfioError("DMA", "DMA mapping of 0 bytes");
  const last = iova + size - 1;
  const ranges =
    limits.iovaRanges.length > 0 ? limits.iovaRanges : [{ start: 0, end: DEFAULT_IOVA_LIMIT - 1 }];
  if (!insideWindows(ranges, iova, size)) {
    const windows = ranges.map((r) => `[${hex(r.start)}, ${hex(r.end)}]`).join(", ");
    throw new VfioError(
      "DMA",
      `IOVA range [${hex(iova)}, ${hex(last)}] is outside the IOMMU's valid windows ${windows}; pass an explicit iova inside one`,
    );
  }
}

interface Mapping {
  readonly vaddr: number;
  refs: number;
  /** True when the IOVA came from the allocator (given back on the last unmap). */
  readonly allocated: boolean;
}

/** The two container ioctls, as a seam: tests put a fake kernel here. */
export interface DmaKernel {
  /** VFIO_IOMMU_MAP_DMA with an encoded vfio_iommu_type1_dma_map. */
  map(request: Uint8Array): void;
  /** VFIO_IOMMU_UNMAP_DMA with an encoded vfio_iommu_type1_dma_unmap (size written back). */
  unmap(request: Uint8Array): void;
}

/** The real ioctls on a container fd. */
export function containerKernel(containerFd: number): DmaKernel {
  return {
    map: (req) => ioctl(containerFd, IOCTL.IOMMU_MAP_DMA, req, "VFIO_IOMMU_MAP_DMA"),
    unmap: (req) => ioctl(containerFd, IOCTL.IOMMU_UNMAP_DMA, req, "VFIO_IOMMU_UNMAP_DMA"),
  };
}

/** True when [iova, iova+size) lies inside one of the windows (the default one when none). */
export function insideWindows(ranges: readonly IovaRange[], iova: number, size: number): boolean {
  const windows = ranges.length > 0 ? ranges : [{ start: 0, end: DEFAULT_IOVA_LIMIT - 1 }];
  return windows.some((r) => iova >= r.start && iova + size - 1 <= r.end);
}

/** The container's live mappings, keyed by "iova:size". */
export class DmaMappings {
  private limits: DmaLimits = { minPageSize: 4096, iovaRanges: [] };
  private readonly live = new Map<string, Mapping>();
  /** "vaddr:size" -> IOVA of what place() mapped, so a second device reuses the mapping. */
  private readonly placed = new Map<string, number>();
  private allocator = new IovaAllocator([{ start: 0, end: DEFAULT_IOVA_LIMIT - 1 }], 4096);
  private readonly kernel: DmaKernel;

  /** `kernel` defaults to the real ioctls on `containerFd`. */
  constructor(containerFd: number, kernel?: DmaKernel) {
    this.kernel = kernel ?? containerKernel(containerFd);
  }

  /** Adopts the page size and IOVA windows reported by IOMMU_GET_INFO. */
  setLimits(info: IommuInfo): void {
    this.limits = { minPageSize: info.minPageSize, iovaRanges: info.iovaRanges };
    const windows =
      info.iovaRanges.length > 0 ? info.iovaRanges : [{ start: 0, end: DEFAULT_IOVA_LIMIT - 1 }];
    this.allocator = new IovaAllocator(windows, info.minPageSize);
  }

  /**
   * Maps [vaddr, vaddr+size) where the device can reach it and returns the IOVA: the virtual
   * address itself when the IOMMU's windows include it, else an IOVA allocated inside them
   * (an IOMMU with fewer address bits than the process's addresses). Mapping the same block
   * again (another device in this container) returns the same IOVA.
   */
  place(vaddr: number, size: number): number {
    const key = `${vaddr}:${size}`;
    const known = this.placed.get(key);
    if (known !== undefined) {
      this.map(vaddr, known, size);
      return known;
    }
    if (insideWindows(this.limits.iovaRanges, vaddr, size)) {
      this.map(vaddr, vaddr, size);
      this.placed.set(key, vaddr);
      return vaddr;
    }
    const iova = this.allocator.alloc(size);
    try {
      this.map(vaddr, iova, size, true);
    } catch (e) {
      this.allocator.free(iova, size);
      throw e;
    }
    this.placed.set(key, iova);
    return iova;
  }

  /** Maps [vaddr, vaddr+size) at `iova` for device reads and writes. */
  map(vaddr: number, iova: number, size: number, allocated = false): void {
    const key = `${iova}:${size}`;
    const existing = this.live.get(key);
    if (existing !== undefined) {
      if (existing.vaddr !== vaddr) {
        throw new VfioError(
          "DMA",
          `IOVA ${hex(iova)} (+${size}) is already mapped to another address`,
        );
      }
      existing.refs++;
      return;
    }
    checkDmaRequest(this.limits, vaddr, iova, size);
    const flags = VFIO.DMA_MAP_FLAG_READ | VFIO.DMA_MAP_FLAG_WRITE;
    try {
      this.kernel.map(encodeDmaMap(vaddr, iova, size, flags));
    } catch (e) {
      throw mapError(e as SysError, iova, size);
    }
    this.live.set(key, { vaddr, refs: 1, allocated });
  }

  /** Drops one reference to the mapping made at (iova, size); unmaps it with the last one. */
  unmap(iova: number, size: number): void {
    const key = `${iova}:${size}`;
    const existing = this.live.get(key);
    if (existing === undefined) {
      throw new VfioError(
        "DMA",
        `no DMA mapping at IOVA ${hex(iova)} of ${size} bytes; unmap exactly what was mapped`,
      );
    }
    if (--existing.refs > 0) return;
    this.live.delete(key);
    if (this.placed.get(`${existing.vaddr}:${size}`) === iova) {
      this.placed.delete(`${existing.vaddr}:${size}`);
    }
    if (existing.allocated) this.allocator.free(iova, size);
    const req = encodeDmaUnmap(iova, size);
    try {
      this.kernel.unmap(req);
    } catch (e) {
      throw new VfioError("DMA", `unmapping IOVA ${hex(iova)} (+${size}) failed`, { cause: e });
    }
    const done = decodeUnmappedBytes(req);
    if (done !== size) {
      throw new VfioError(
        "DMA",
        `the kernel unmapped ${done} of ${size} bytes at IOVA ${hex(iova)}`,
      );
    }
  }

  /** Forgets every mapping: the container is closing and the kernel drops them itself. */
  forget(): void {
    this.live.clear();
    this.placed.clear();
  }
}

function mapError(e: SysError, iova: number, size: number): VfioError {
  const what = `VFIO_IOMMU_MAP_DMA of ${size} bytes at IOVA ${hex(iova)} failed (${e.code})`;
  const why: Record<string, string> = {
    EEXIST: "it overlaps an existing mapping; unmap that first or choose another iova",
    ENOMEM: "pinning exceeds RLIMIT_MEMLOCK; raise `ulimit -l` or run with CAP_IPC_LOCK",
    ENOSPC: "too many mappings; raise vfio_iommu_type1's dma_entry_limit or map larger blocks",
    EFAULT: "the address range is not mapped in this process",
  };
  return new VfioError("DMA", `${what}: ${why[e.code] ?? "see the errno above"}`, { cause: e });
}
