/*
 * vfio-user payload layouts (the bytes after the 16-byte header), one encoder and one checked
 * decoder per struct. Decoders treat their input as untrusted: every size is checked before a
 * field is read, and a failure throws VfioError("PROTOCOL") naming the field and the value.
 * Region info, with its capability chain, lives in region-info.ts.
 */
import { bad, need, u32s } from "./payload-check.ts";
import { getU64, setU64 } from "./protocol.ts";

/** VERSION payload: major u16 @0, minor u16 @2, optional NUL-terminated JSON @4. */
export interface VersionPayload {
  major: number;
  minor: number;
  json: string | null;
}
/** DEVICE_GET_INFO payload (16 B): argsz, flags, num_regions, num_irqs (u32 each). */
export interface DeviceInfoPayload {
  argsz: number;
  flags: number;
  numRegions: number;
  numIrqs: number;
}
/** DEVICE_GET_IRQ_INFO payload (16 B). */
export interface IrqInfoPayload {
  argsz: number;
  flags: number;
  index: number;
  count: number;
}
/** DEVICE_SET_IRQS payload: vfio_irq_set (20 B) plus `count` bytes for DATA_BOOL. */
export interface IrqSetPayload {
  argsz: number;
  flags: number;
  index: number;
  start: number;
  count: number;
  data: Uint8Array;
}
/** REGION_READ/WRITE payload: offset u64 @0, region u32 @8, count u32 @12, data @16. */
export interface RegionAccessPayload {
  offset: number;
  region: number;
  count: number;
  data: Uint8Array;
}
/** DMA_MAP payload (32 B): argsz, flags, offset (in the fd), address (IOVA), size. */
export interface DmaMapPayload {
  argsz: number;
  flags: number;
  offset: number;
  address: number;
  size: number;
}
/** DMA_UNMAP payload (24 B): argsz, flags, address, size. */
export interface DmaUnmapPayload {
  argsz: number;
  flags: number;
  address: number;
  size: number;
}

/** Fixed payload sizes in bytes. */
export const DEVICE_INFO_SIZE = 16;
export const IRQ_INFO_SIZE = 16;
export const IRQ_SET_SIZE = 20;
export const REGION_ACCESS_SIZE = 16;
export const DMA_MAP_SIZE = 32;
export const DMA_UNMAP_SIZE = 24;

/** VERSION payload bytes (JSON gets its NUL appended). */
export function encodeVersion(v: VersionPayload): Uint8Array {
  const json = v.json === null ? new Uint8Array(0) : new TextEncoder().encode(`${v.json}\0`);
  const out = new Uint8Array(4 + json.length);
  const dv = new DataView(out.buffer);
  dv.setUint16(0, v.major, true);
  dv.setUint16(2, v.minor, true);
  out.set(json, 4);
  return out;
}

/** Checked VERSION decode; the JSON must end in NUL. */
export function decodeVersion(p: Uint8Array): VersionPayload {
  const dv = need(p, 4, "VERSION");
  let json: string | null = null;
  if (p.length > 4) {
    if (p[p.length - 1] !== 0) bad("VERSION JSON is not NUL-terminated");
    json = new TextDecoder("utf-8", { fatal: false }).decode(p.subarray(4, p.length - 1));
  }
  return { major: dv.getUint16(0, true), minor: dv.getUint16(2, true), json };
}

/** DEVICE_GET_INFO payload bytes. */
export function encodeDeviceInfo(d: DeviceInfoPayload): Uint8Array {
  return u32s([d.argsz, d.flags, d.numRegions, d.numIrqs]);
}

/** Checked DEVICE_GET_INFO decode. */
export function decodeDeviceInfo(p: Uint8Array): DeviceInfoPayload {
  const dv = need(p, DEVICE_INFO_SIZE, "DEVICE_GET_INFO");
  const at = (o: number) => dv.getUint32(o, true);
  return { argsz: at(0), flags: at(4), numRegions: at(8), numIrqs: at(12) };
}

/** DEVICE_GET_IRQ_INFO payload bytes. */
export function encodeIrqInfo(i: IrqInfoPayload): Uint8Array {
  return u32s([i.argsz, i.flags, i.index, i.count]);
}

/** Checked DEVICE_GET_IRQ_INFO decode. */
export function decodeIrqInfo(p: Uint8Array): IrqInfoPayload {
  const dv = need(p, IRQ_INFO_SIZE, "DEVICE_GET_IRQ_INFO");
  const at = (o: number) => dv.getUint32(o, true);
  return { argsz: at(0), flags: at(4), index: at(8), count: at(12) };
}

/** DEVICE_SET_IRQS payload bytes (fds travel separately). */
export function encodeIrqSet(s: IrqSetPayload): Uint8Array {
  const head = u32s([s.argsz, s.flags, s.index, s.start, s.count]);
  if (s.data.length === 0) return head;
  const out = new Uint8Array(head.length + s.data.length);
  out.set(head, 0);
  out.set(s.data, head.length);
  return out;
}

/** Checked DEVICE_SET_IRQS decode; `data` is whatever follows the 20-byte struct. */
export function decodeIrqSet(p: Uint8Array): IrqSetPayload {
  const dv = need(p, IRQ_SET_SIZE, "DEVICE_SET_IRQS");
  const at = (o: number) => dv.getUint32(o, true);
  return {
    argsz: at(0),
    flags: at(4),
    index: at(8),
    start: at(12),
    count: at(16),
    data: p.subarray(IRQ_SET_SIZE),
  };
}

/** REGION_READ/WRITE payload bytes. */
export function encodeRegionAccess(a: RegionAccessPayload): Uint8Array {
  const out = new Uint8Array(REGION_ACCESS_SIZE + a.data.length);
  const dv = new DataView(out.buffer);
  setU64(dv, 0, a.offset);
  dv.setUint32(8, a.region, true);
  dv.setUint32(12, a.count, true);
  out.set(a.data, REGION_ACCESS_SIZE);
  return out;
}

/** Checked REGION_READ/WRITE decode; `data` is whatever follows the 16-byte header. */
export function decodeRegionAccess(p: Uint8Array): RegionAccessPayload {
  const dv = need(p, REGION_ACCESS_SIZE, "REGION_READ/WRITE");
  const offset = getU64(dv, 0);
  if (!Number.isFinite(offset)) bad("region access offset ≥ 2^53");
  return {
    offset,
    region: dv.getUint32(8, true),
    count: dv.getUint32(12, true),
    data: p.subarray(REGION_ACCESS_SIZE),
  };
}

/** DMA_MAP payload bytes. */
export function encodeDmaMap(m: DmaMapPayload): Uint8Array {
  const out = new Uint8Array(DMA_MAP_SIZE);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, m.argsz, true);
  dv.setUint32(4, m.flags, true);
  setU64(dv, 8, m.offset);
  setU64(dv, 16, m.address);
  setU64(dv, 24, m.size);
  return out;
}

/** Checked DMA_MAP decode; u64 fields ≥ 2^53 come back as NaN. */
export function decodeDmaMap(p: Uint8Array): DmaMapPayload {
  const dv = need(p, DMA_MAP_SIZE, "DMA_MAP");
  return {
    argsz: dv.getUint32(0, true),
    flags: dv.getUint32(4, true),
    offset: getU64(dv, 8),
    address: getU64(dv, 16),
    size: getU64(dv, 24),
  };
}

/** DMA_UNMAP payload bytes. */
export function encodeDmaUnmap(u: DmaUnmapPayload): Uint8Array {
  const out = new Uint8Array(DMA_UNMAP_SIZE);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, u.argsz, true);
  dv.setUint32(4, u.flags, true);
  setU64(dv, 8, u.address);
  setU64(dv, 16, u.size);
  return out;
}

/** Checked DMA_UNMAP decode; u64 fields ≥ 2^53 come back as NaN. */
export function decodeDmaUnmap(p: Uint8Array): DmaUnmapPayload {
  const dv = need(p, DMA_UNMAP_SIZE, "DMA_UNMAP");
  return {
    argsz: dv.getUint32(0, true),
    flags: dv.getUint32(4, true),
    address: getU64(dv, 8),
    size: getU64(dv, 16),
  };
}
