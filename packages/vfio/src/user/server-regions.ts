/*
 * Server side of regions: DEVICE_GET_REGION_INFO (with the sparse-mmap capability and the
 * region fd when the client's argsz has room), and REGION_READ/REGION_WRITE split into
 * naturally aligned 1/2/4-byte accesses for the model's callbacks or the config bytes.
 */
import type { ConfigSpaceModel, RegionModel, VfioUserDeviceModel } from "./model.ts";
import {
  NUM_REGIONS,
  REGION_FLAG_CAPS,
  REGION_FLAG_MMAP,
  REGION_FLAG_READ,
  REGION_FLAG_WRITE,
} from "./protocol.ts";
import {
  encodeRegionInfo,
  REGION_INFO_SIZE,
  SPARSE_AREA_SIZE,
  SPARSE_CAP_HEADER,
} from "./region-info.ts";

const CONFIG_INDEX = 7;
const PAGE = 4096;

/** A reply payload plus the fds to send with it. */
export interface RegionInfoReply {
  payload: Uint8Array;
  fds: number[];
}

/** Size of region `index` (0 when not implemented). */
export function regionSize(model: VfioUserDeviceModel, index: number): number {
  if (index === CONFIG_INDEX) return model.config.bytes.length;
  return model.regions[index]?.size ?? 0;
}

/** Checks the model's mmap declarations once, at server start. Returns a problem or null. */
export function checkModelRegions(model: VfioUserDeviceModel): string | null {
  for (let i = 0; i < NUM_REGIONS; i++) {
    const r = i === CONFIG_INDEX ? undefined : model.regions[i];
    if (r?.mmap === undefined) continue;
    const base = r.mmap.fileOffset ?? 0;
    for (const a of r.mmap.areas) {
      if (
        a.offset % PAGE ||
        a.size % PAGE ||
        base % PAGE ||
        a.size === 0 ||
        a.offset + a.size > r.size
      ) {
        return `region ${i} mmap area 0x${a.offset.toString(16)}+0x${a.size.toString(16)} is not page-aligned or not inside size 0x${r.size.toString(16)}`;
      }
    }
  }
  const n = model.config.bytes.length;
  if (n !== 256 && n !== 4096) return `config space is ${n} bytes; use 256 or 4096`;
  return null;
}

/** Builds the GET_REGION_INFO reply for `index` given the client's `argsz`. */
export function regionInfoReply(
  model: VfioUserDeviceModel,
  index: number,
  argsz: number,
): RegionInfoReply {
  const size = regionSize(model, index);
  const region = index === CONFIG_INDEX ? undefined : model.regions[index];
  let flags = size > 0 ? REGION_FLAG_READ | REGION_FLAG_WRITE : 0;
  const mm = size > 0 ? region?.mmap : undefined;
  const areas = mm?.areas ?? [];
  const needed =
    areas.length > 0
      ? REGION_INFO_SIZE + SPARSE_CAP_HEADER + SPARSE_AREA_SIZE * areas.length
      : REGION_INFO_SIZE;
  if (areas.length > 0) flags |= REGION_FLAG_MMAP;
  // Like libvfio-user: with too small an argsz, answer the fixed part with argsz = needed and
  // neither capability nor fd; the client asks again.
  const full = areas.length > 0 && argsz >= needed;
  const payload = encodeRegionInfo({
    argsz: needed,
    flags: full ? flags | REGION_FLAG_CAPS : flags,
    index,
    capOffset: full ? REGION_INFO_SIZE : 0,
    size,
    offset: mm?.fileOffset ?? 0,
    areas: full ? areas.map((a) => ({ offset: a.offset, size: a.size })) : null,
  });
  return { payload, fds: full && mm !== undefined ? [mm.fd] : [] };
}

function width(offset: number, left: number): number {
  if ((offset & 3) === 0 && left >= 4) return 4;
  if ((offset & 1) === 0 && left >= 2) return 2;
  return 1;
}

function readLe(data: Uint8Array, at: number, w: number): number {
  let v = 0;
  for (let b = w - 1; b >= 0; b--) v = v * 256 + (data[at + b] as number);
  return v;
}

function writeLe(data: Uint8Array, at: number, w: number, value: number): void {
  let v = value;
  for (let b = 0; b < w; b++) {
    data[at + b] = v & 0xff;
    v = Math.floor(v / 256);
  }
}

/** REGION_READ of `out.length` bytes at `offset` (bounds already checked). */
export function readRegion(
  model: VfioUserDeviceModel,
  index: number,
  offset: number,
  out: Uint8Array,
): void {
  if (index === CONFIG_INDEX) {
    out.set(model.config.bytes.subarray(offset, offset + out.length));
    return;
  }
  const r = model.regions[index] as RegionModel;
  for (let at = 0; at < out.length; ) {
    const w = width(offset + at, out.length - at);
    writeLe(out, at, w, r.read(offset + at, w) >>> 0);
    at += w;
  }
}

/** REGION_WRITE of `data` at `offset` (bounds already checked). */
export function writeRegion(
  model: VfioUserDeviceModel,
  index: number,
  offset: number,
  data: Uint8Array,
): void {
  if (index === CONFIG_INDEX) {
    writeConfig(model.config, offset, data);
    return;
  }
  const r = model.regions[index] as RegionModel;
  for (let at = 0; at < data.length; ) {
    const w = width(offset + at, data.length - at);
    r.write(offset + at, w, readLe(data, at, w));
    at += w;
  }
}

function writeConfig(cfg: ConfigSpaceModel, offset: number, data: Uint8Array): void {
  const { bytes, writableMask } = cfg;
  for (let i = 0; i < data.length; i++) {
    const mask = writableMask === undefined ? 0xff : (writableMask[offset + i] as number);
    const old = bytes[offset + i] as number;
    bytes[offset + i] = (old & ~mask) | ((data[i] as number) & mask);
  }
  if (cfg.onWrite === undefined) return;
  for (let at = 0; at < data.length; ) {
    const w = width(offset + at, data.length - at);
    cfg.onWrite(offset + at, w, readLe(data, at, w));
    at += w;
  }
}
