/*
 * DEVICE_GET_REGION_INFO payload: struct vfio_region_info (32 B) followed, when the region has
 * capabilities, by a chain of them; only the sparse-mmap capability (id 1) is interpreted. The
 * decoder treats its input as untrusted: offsets, counts and the chain itself are bounded.
 */
import { bad, need } from "./payload-check.ts";
import { CAP_SPARSE_MMAP, getU64, REGION_FLAG_CAPS, setU64 } from "./protocol.ts";

/** One sparse-mmap area: offset and size inside the region. */
export interface Area {
  offset: number;
  size: number;
}
/** DEVICE_GET_REGION_INFO payload: vfio_region_info (32 B) and, optionally, a sparse-mmap cap. */
export interface RegionInfoPayload {
  argsz: number;
  flags: number;
  index: number;
  capOffset: number;
  size: number;
  offset: number;
  /** Areas from a sparse-mmap capability; null when the payload carries none. */
  areas: Area[] | null;
}
/** Fixed sizes in bytes: vfio_region_info, the sparse-mmap cap header, one area. */
export const REGION_INFO_SIZE = 32;
export const SPARSE_CAP_HEADER = 16;
export const SPARSE_AREA_SIZE = 16;
/** More capabilities than this in one chain is taken as a loop. */
const MAX_CAPS = 16;

/** Encodes region info; with `areas` non-null a sparse-mmap cap follows at byte 32. */
export function encodeRegionInfo(r: RegionInfoPayload): Uint8Array {
  const caps = r.areas === null ? 0 : SPARSE_CAP_HEADER + SPARSE_AREA_SIZE * r.areas.length;
  const out = new Uint8Array(REGION_INFO_SIZE + caps);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, r.argsz, true);
  dv.setUint32(4, r.flags, true);
  dv.setUint32(8, r.index, true);
  dv.setUint32(12, r.capOffset, true);
  setU64(dv, 16, r.size);
  setU64(dv, 24, r.offset);
  if (r.areas !== null) {
    const c = REGION_INFO_SIZE;
    dv.setUint16(c, CAP_SPARSE_MMAP, true);
    dv.setUint16(c + 2, 1, true); // version 1
    dv.setUint32(c + 4, 0, true); // next: end of chain
    dv.setUint32(c + 8, r.areas.length, true);
    r.areas.forEach((a, i) => {
      setU64(dv, c + SPARSE_CAP_HEADER + SPARSE_AREA_SIZE * i, a.offset);
      setU64(dv, c + SPARSE_CAP_HEADER + SPARSE_AREA_SIZE * i + 8, a.size);
    });
  }
  return out;
}

/** Decodes region info and walks its capability chain (only sparse mmap is interpreted). */
export function decodeRegionInfo(p: Uint8Array): RegionInfoPayload {
  const dv = need(p, REGION_INFO_SIZE, "DEVICE_GET_REGION_INFO");
  const r: RegionInfoPayload = {
    argsz: dv.getUint32(0, true),
    flags: dv.getUint32(4, true),
    index: dv.getUint32(8, true),
    capOffset: dv.getUint32(12, true),
    size: getU64(dv, 16),
    offset: getU64(dv, 24),
    areas: null,
  };
  if (!Number.isFinite(r.size) || !Number.isFinite(r.offset)) bad("region size/offset ≥ 2^53");
  if ((r.flags & REGION_FLAG_CAPS) === 0 || r.capOffset === 0) return r;
  let at = r.capOffset;
  for (let n = 0; at !== 0; n++) {
    if (n >= MAX_CAPS) bad(`capability chain longer than ${MAX_CAPS} (a loop?)`);
    if (at < REGION_INFO_SIZE || at + 8 > p.length) bad(`capability at ${at} outside ${p.length}`);
    const id = dv.getUint16(at, true);
    const next = dv.getUint32(at + 4, true);
    if (id === CAP_SPARSE_MMAP) r.areas = decodeSparse(dv, at, p.length);
    if (next !== 0 && next <= at) bad(`capability next ${next} does not move forward from ${at}`);
    at = next;
  }
  return r;
}

function decodeSparse(dv: DataView, at: number, length: number): Area[] {
  if (at + SPARSE_CAP_HEADER > length) bad("sparse-mmap capability truncated");
  const n = dv.getUint32(at + 8, true);
  if (at + SPARSE_CAP_HEADER + SPARSE_AREA_SIZE * n > length) {
    bad(`sparse-mmap capability claims ${n} areas, payload is ${length} bytes`);
  }
  const areas: Area[] = [];
  for (let i = 0; i < n; i++) {
    const o = at + SPARSE_CAP_HEADER + SPARSE_AREA_SIZE * i;
    const area = { offset: getU64(dv, o), size: getU64(dv, o + 8) };
    if (!Number.isFinite(area.offset) || !Number.isFinite(area.size)) bad("sparse area ≥ 2^53");
    areas.push(area);
  }
  return areas;
}
