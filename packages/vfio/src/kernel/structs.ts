/*
 * Encoders and decoders for the kernel VFIO structs in abi.ts, including the capability
 * chains of REGION_INFO and IOMMU_GET_INFO. Setup-time code: it allocates freely, and
 * checks every offset the kernel hands back before following it.
 */
import type { DeviceInfo, IrqInfo, RegionInfo, SparseArea } from "../device.ts";
import { VfioError } from "../errors.ts";
import { LAYOUTS, VFIO } from "./abi.ts";

const HI = 4294967296;
const CAP = LAYOUTS.vfio_info_cap_header.fields;

/** Writes a non-negative integer below 2^53 as a little-endian u64 (two u32 halves). */
export function setU64(view: DataView, offset: number, value: number): void {
  view.setUint32(offset, value >>> 0, true);
  view.setUint32(offset + 4, Math.floor(value / HI) >>> 0, true);
}

/** Reads a little-endian u64; values above 2^53 - 1 saturate to Number.MAX_SAFE_INTEGER. */
export function getU64(view: DataView, offset: number): number {
  const lo = view.getUint32(offset, true);
  const hi = view.getUint32(offset + 4, true);
  return hi >= 0x200000 ? Number.MAX_SAFE_INTEGER : hi * HI + lo;
}

const viewOf = (buf: Uint8Array): DataView =>
  new DataView(buf.buffer, buf.byteOffset, buf.byteLength);

/** A zeroed buffer of `bytes` with argsz (offset 0 in every VFIO request) filled in. */
export function request(bytes: number): Uint8Array {
  const buf = new Uint8Array(bytes);
  viewOf(buf).setUint32(0, bytes, true);
  return buf;
}

/** One entry of a capability chain: its id, version and offset in the info buffer. */
export interface CapEntry {
  readonly id: number;
  readonly version: number;
  readonly offset: number;
}

/**
 * Walks a capability chain starting at `first` (an offset from the start of `buf`, as are
 * all `next` fields). Throws VfioError PROTOCOL on an offset outside the buffer or a loop.
 */
export function walkCaps(buf: Uint8Array, first: number): CapEntry[] {
  const view = viewOf(buf);
  const caps: CapEntry[] = [];
  let offset = first;
  while (offset !== 0) {
    if (offset + LAYOUTS.vfio_info_cap_header.size > buf.byteLength || offset % 4 !== 0) {
      throw new VfioError(
        "PROTOCOL",
        `capability at offset ${offset} lies outside the ${buf.byteLength}-byte info buffer or is misaligned`,
      );
    }
    const next = view.getUint32(offset + CAP.next.offset, true);
    caps.push({
      id: view.getUint16(offset + CAP.id.offset, true),
      version: view.getUint16(offset + CAP.version.offset, true),
      offset,
    });
    if (next !== 0 && next <= offset) {
      throw new VfioError("PROTOCOL", `capability chain goes backwards (${offset} -> ${next})`);
    }
    offset = next;
  }
  return caps;
}

/** Decodes a vfio_device_info reply. */
export function decodeDeviceInfo(buf: Uint8Array): DeviceInfo {
  const v = viewOf(buf);
  const F = LAYOUTS.vfio_device_info.fields;
  return {
    flags: v.getUint32(F.flags.offset, true),
    numRegions: v.getUint32(F.num_regions.offset, true),
    numIrqs: v.getUint32(F.num_irqs.offset, true),
  };
}

/** A REGION_INFO request for `index` with `bytes` of room (struct + capability space). */
export function regionInfoRequest(
  index: number,
  bytes: number = LAYOUTS.vfio_region_info.size,
): Uint8Array {
  const buf = request(bytes);
  viewOf(buf).setUint32(LAYOUTS.vfio_region_info.fields.index.offset, index, true);
  return buf;
}

function decodeSparse(buf: Uint8Array, cap: number): SparseArea[] {
  const v = viewOf(buf);
  const S = LAYOUTS.vfio_region_info_cap_sparse_mmap.fields;
  const A = LAYOUTS.vfio_region_sparse_mmap_area;
  const count = v.getUint32(cap + S.nr_areas.offset, true);
  const first = cap + S.areas.offset;
  if (first + count * A.size > buf.byteLength) {
    throw new VfioError(
      "PROTOCOL",
      `sparse mmap capability lists ${count} areas but only ${buf.byteLength - first} bytes follow`,
    );
  }
  const areas: SparseArea[] = [];
  for (let i = 0; i < count; i++) {
    const at = first + i * A.size;
    const size = getU64(v, at + A.fields.size.offset);
    if (size > 0) areas.push({ offset: getU64(v, at + A.fields.offset.offset), size });
  }
  return areas;
}

/** A decoded REGION_INFO reply, with the argsz the kernel asked for (> buffer: retry bigger). */
export interface RegionInfoReply {
  readonly info: RegionInfo;
  readonly argsz: number;
  /** Every capability id present (SPARSE_MMAP = 1, TYPE = 2, MSIX_MAPPABLE = 3). */
  readonly capIds: readonly number[];
}

/** Decodes a vfio_region_info reply and its capability chain (sparse mmap areas). */
export function decodeRegionInfo(buf: Uint8Array): RegionInfoReply {
  const v = viewOf(buf);
  const F = LAYOUTS.vfio_region_info.fields;
  const argsz = v.getUint32(F.argsz.offset, true);
  const flags = v.getUint32(F.flags.offset, true);
  const capOffset = v.getUint32(F.cap_offset.offset, true);
  const caps =
    flags & VFIO.REGION_INFO_FLAG_CAPS && argsz <= buf.byteLength ? walkCaps(buf, capOffset) : [];
  const sparse = caps.find((c) => c.id === VFIO.REGION_INFO_CAP_SPARSE_MMAP);
  return {
    info: {
      index: v.getUint32(F.index.offset, true),
      flags,
      size: getU64(v, F.size.offset),
      offset: getU64(v, F.offset.offset),
      sparseAreas: sparse ? decodeSparse(buf, sparse.offset) : [],
    },
    argsz,
    capIds: caps.map((c) => c.id),
  };
}

/** An IRQ_INFO request for `index`. */
export function irqInfoRequest(index: number): Uint8Array {
  const buf = request(LAYOUTS.vfio_irq_info.size);
  viewOf(buf).setUint32(LAYOUTS.vfio_irq_info.fields.index.offset, index, true);
  return buf;
}

/** Decodes a vfio_irq_info reply. */
export function decodeIrqInfo(buf: Uint8Array): IrqInfo {
  const v = viewOf(buf);
  const F = LAYOUTS.vfio_irq_info.fields;
  return {
    index: v.getUint32(F.index.offset, true),
    flags: v.getUint32(F.flags.offset, true),
    count: v.getUint32(F.count.offset, true),
  };
}

/**
 * A SET_IRQS request. With `fds` the data is one int32 eventfd per vector (-1 leaves a
 * vector unset) and flags should be DATA_EVENTFD|ACTION_TRIGGER; without, count is 0.
 */
export function encodeIrqSet(
  index: number,
  flags: number,
  start: number,
  fds: readonly number[],
): Uint8Array {
  const L = LAYOUTS.vfio_irq_set;
  const buf = request(L.size + 4 * fds.length);
  const v = viewOf(buf);
  v.setUint32(L.fields.flags.offset, flags, true);
  v.setUint32(L.fields.index.offset, index, true);
  v.setUint32(L.fields.start.offset, start, true);
  v.setUint32(L.fields.count.offset, fds.length, true);
  for (let i = 0; i < fds.length; i++) {
    v.setInt32(L.fields.data.offset + 4 * i, fds[i] as number, true);
  }
  return buf;
}

/** A valid IOVA window, both ends inclusive. */
export interface IovaRange {
  readonly start: number;
  readonly end: number;
}

/** A decoded IOMMU_GET_INFO reply. */
export interface IommuInfo {
  readonly flags: number;
  readonly argsz: number;
  /** Smallest IOMMU page in bytes (lowest set bit of iova_pgsizes); 4096 if none reported. */
  readonly minPageSize: number;
  /** Valid IOVA windows; empty when the kernel reported none (no IOVA_RANGE capability). */
  readonly iovaRanges: readonly IovaRange[];
  /** How many more DMA mappings the container accepts, or null when not reported. */
  readonly dmaAvail: number | null;
}

function lowestBit(lo: number, hi: number): number {
  if (lo !== 0) return (lo & -lo) >>> 0;
  if (hi !== 0) return ((hi & -hi) >>> 0) * HI;
  return 4096;
}

function decodeIovaRanges(buf: Uint8Array, cap: number): IovaRange[] {
  const v = viewOf(buf);
  const C = LAYOUTS.vfio_iommu_type1_info_cap_iova_range.fields;
  const R = LAYOUTS.vfio_iova_range;
  const count = v.getUint32(cap + C.nr_iovas.offset, true);
  const first = cap + C.iova_ranges.offset;
  if (first + count * R.size > buf.byteLength) {
    throw new VfioError(
      "PROTOCOL",
      `IOVA range capability lists ${count} ranges past the buffer end`,
    );
  }
  const ranges: IovaRange[] = [];
  for (let i = 0; i < count; i++) {
    const at = first + i * R.size;
    ranges.push({
      start: getU64(v, at + R.fields.start.offset),
      end: getU64(v, at + R.fields.end.offset),
    });
  }
  return ranges;
}

/** Decodes a vfio_iommu_type1_info reply and its capabilities (IOVA ranges, DMA avail). */
export function decodeIommuInfo(buf: Uint8Array): IommuInfo {
  const v = viewOf(buf);
  const F = LAYOUTS.vfio_iommu_type1_info.fields;
  const argsz = v.getUint32(F.argsz.offset, true);
  const flags = v.getUint32(F.flags.offset, true);
  const pg = F.iova_pgsizes.offset;
  const hasPg = (flags & VFIO.IOMMU_INFO_PGSIZES) !== 0;
  const caps =
    flags & VFIO.IOMMU_INFO_CAPS && argsz <= buf.byteLength
      ? walkCaps(buf, v.getUint32(F.cap_offset.offset, true))
      : [];
  const ranges = caps.find((c) => c.id === VFIO.IOMMU_TYPE1_INFO_CAP_IOVA_RANGE);
  const avail = caps.find((c) => c.id === VFIO.IOMMU_TYPE1_INFO_DMA_AVAIL);
  const availField = LAYOUTS.vfio_iommu_type1_info_dma_avail.fields.avail.offset;
  if (avail && avail.offset + availField + 4 > buf.byteLength) {
    throw new VfioError("PROTOCOL", "DMA avail capability runs past the buffer end");
  }
  return {
    flags,
    argsz,
    minPageSize: hasPg ? lowestBit(v.getUint32(pg, true), v.getUint32(pg + 4, true)) : 4096,
    iovaRanges: ranges ? decodeIovaRanges(buf, ranges.offset) : [],
    dmaAvail: avail ? v.getUint32(avail.offset + availField, true) : null,
  };
}

/** A MAP_DMA request: device sees [iova, iova+size) as the process's [vaddr, vaddr+size). */
export function encodeDmaMap(vaddr: number, iova: number, size: number, flags: number): Uint8Array {
  const F = LAYOUTS.vfio_iommu_type1_dma_map.fields;
  const buf = request(LAYOUTS.vfio_iommu_type1_dma_map.size);
  const v = viewOf(buf);
  v.setUint32(F.flags.offset, flags, true);
  setU64(v, F.vaddr.offset, vaddr);
  setU64(v, F.iova.offset, iova);
  setU64(v, F.size.offset, size);
  return buf;
}

/** An UNMAP_DMA request; after the call, decodeUnmappedBytes gives what was removed. */
export function encodeDmaUnmap(iova: number, size: number, flags = 0): Uint8Array {
  const F = LAYOUTS.vfio_iommu_type1_dma_unmap.fields;
  const buf = request(LAYOUTS.vfio_iommu_type1_dma_unmap.size);
  const v = viewOf(buf);
  v.setUint32(F.flags.offset, flags, true);
  setU64(v, F.iova.offset, iova);
  setU64(v, F.size.offset, size);
  return buf;
}

/** Bytes the kernel reports as unmapped in an UNMAP_DMA reply. */
export function decodeUnmappedBytes(buf: Uint8Array): number {
  return getU64(viewOf(buf), LAYOUTS.vfio_iommu_type1_dma_unmap.fields.size.offset);
}
