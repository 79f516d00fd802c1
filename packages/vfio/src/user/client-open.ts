/*
 * The client's open sequence after VERSION: DEVICE_GET_INFO, DEVICE_GET_REGION_INFO for every
 * region (asking again with the size the server names, to receive the sparse-mmap capability
 * and the region's fd), DEVICE_GET_IRQ_INFO for every IRQ index. Each reply is checked.
 */
import type { DeviceInfo, IrqInfo, RegionInfo } from "../device.ts";
import { VfioError } from "../errors.ts";
import { type Channel, closeAll } from "./channel.ts";
import {
  decodeDeviceInfo,
  decodeIrqInfo,
  decodeVersion,
  encodeDeviceInfo,
  encodeIrqInfo,
} from "./payloads.ts";
import { Cmd, REGION_FLAG_MMAP, VERSION_MAJOR, VERSION_MINOR } from "./protocol.ts";
import {
  type Area,
  decodeRegionInfo,
  encodeRegionInfo,
  type RegionInfoPayload,
} from "./region-info.ts";

/** A region as the server described it, with the fd to mmap its sparse areas (-1 if none). */
export interface RemoteRegion {
  info: RegionInfo;
  fd: number;
  /** Areas we will mmap: the sparse areas, or the whole region for MMAP without a cap. */
  mappable: Area[];
}

/** What the open sequence learned. */
export interface Opened {
  json: string | null;
  info: DeviceInfo;
  regions: RemoteRegion[];
  irqs: IrqInfo[];
}

/** QEMU's sanity limits for a PCI device; anything larger is a confused server. */
const MAX_REGIONS = 100;
const MAX_IRQS = 50;
/** Largest region-info reply we ask for. */
const MAX_REGION_INFO = 64 << 10;
const PAGE = 4096;

function bad(why: string): never {
  throw new VfioError("PROTOCOL", `vfio-user open sequence: ${why}`);
}

/** Checks the VERSION reply, then queries device, regions and IRQs. Closes fds on failure. */
export function openSequence(channel: Channel, versionBody: Uint8Array): Opened {
  const v = decodeVersion(versionBody);
  if (v.major !== VERSION_MAJOR || v.minor > VERSION_MINOR) {
    bad(`server speaks ${v.major}.${v.minor}, we proposed ${VERSION_MAJOR}.${VERSION_MINOR}`);
  }
  const d = decodeDeviceInfo(
    channel.request(
      Cmd.DEVICE_GET_INFO,
      encodeDeviceInfo({ argsz: 16, flags: 0, numRegions: 0, numIrqs: 0 }),
    ).body,
  );
  if (d.numRegions > MAX_REGIONS || d.numIrqs > MAX_IRQS) {
    bad(`server reports ${d.numRegions} regions and ${d.numIrqs} IRQ indexes`);
  }
  const regions: RemoteRegion[] = [];
  try {
    for (let i = 0; i < d.numRegions; i++) regions.push(queryRegion(channel, i));
    const irqs: IrqInfo[] = [];
    for (let i = 0; i < d.numIrqs; i++) irqs.push(queryIrq(channel, i));
    return {
      json: v.json,
      info: { flags: d.flags, numRegions: d.numRegions, numIrqs: d.numIrqs },
      regions,
      irqs,
    };
  } catch (e) {
    closeAll(regions.filter((r) => r.fd >= 0).map((r) => r.fd));
    throw e;
  }
}

function askRegion(channel: Channel, index: number, argsz: number) {
  const req = encodeRegionInfo({
    argsz,
    flags: 0,
    index,
    capOffset: 0,
    size: 0,
    offset: 0,
    areas: null,
  });
  return channel.request(Cmd.DEVICE_GET_REGION_INFO, req, [], 1);
}

function queryRegion(channel: Channel, index: number): RemoteRegion {
  let reply = askRegion(channel, index, 32);
  let r = decodeRegionInfo(reply.body);
  if (r.argsz > 32 && r.argsz <= MAX_REGION_INFO) {
    closeAll(reply.fds);
    reply = askRegion(channel, index, r.argsz);
    r = decodeRegionInfo(reply.body);
  }
  const fd = reply.fds[0] ?? -1;
  try {
    if (r.index !== index) bad(`region info for index ${index} came back as index ${r.index}`);
    const mappable = mappableAreas(r, fd);
    if (mappable.length === 0 && fd >= 0) closeAll([fd]);
    const sparseAreas = (r.areas ?? []).map((a) => ({ offset: a.offset, size: a.size }));
    return {
      info: { index, flags: r.flags, size: r.size, offset: r.offset, sparseAreas },
      fd: mappable.length > 0 ? fd : -1,
      mappable,
    };
  } catch (e) {
    closeAll(reply.fds);
    throw e;
  }
}

/** The areas we can really mmap: they need the MMAP flag, an fd, and page-aligned bounds. */
function mappableAreas(r: RegionInfoPayload, fd: number): Area[] {
  if ((r.flags & REGION_FLAG_MMAP) === 0 || fd < 0) return [];
  const areas = r.areas ?? [{ offset: 0, size: r.size }];
  for (const a of areas) {
    const aligned =
      a.offset % PAGE === 0 && a.size % PAGE === 0 && (r.offset + a.offset) % PAGE === 0;
    if (!aligned || a.size === 0 || a.offset + a.size > r.size) {
      bad(
        `region ${r.index} sparse area 0x${a.offset.toString(16)}+0x${a.size.toString(16)} ` +
          `is empty, not page-aligned or outside the region (size 0x${r.size.toString(16)})`,
      );
    }
  }
  return areas;
}

function queryIrq(channel: Channel, index: number): IrqInfo {
  const req = encodeIrqInfo({ argsz: 16, flags: 0, index, count: 0 });
  const r = decodeIrqInfo(channel.request(Cmd.DEVICE_GET_IRQ_INFO, req).body);
  if (r.index !== index) bad(`IRQ info for index ${index} came back as index ${r.index}`);
  return { index, flags: r.flags, count: r.count };
}
