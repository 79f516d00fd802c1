/*
 * The client's region access: trapped REGION_READ/REGION_WRITE (with the reply checked
 * against the request) and mapRegion, which mmaps the sparse areas from the region's fd and
 * wraps everything in a UserMmio.
 */
import { constants as K, mmap, viewOf } from "@dataplane/sys";
import { VfioError } from "../errors.ts";
import type { Channel } from "./channel.ts";
import { type MappedArea, type TrapPort, UserMmio } from "./client-mmio.ts";
import type { RemoteRegion } from "./client-open.ts";
import { encodeRegionAccess } from "./payloads.ts";
import { Cmd, getU64, HEADER_SIZE } from "./protocol.ts";

const EMPTY = new Uint8Array(0);
/** Most requests sent before their replies are read (a few KiB: well inside socket buffers). */
const PIPELINE_DEPTH = 64;

/** Region access for the client: trapped reads/writes and sparse-area mapping. */
export class RegionPort implements TrapPort {
  /** Live mappings, closed with the device. */
  readonly mmios = new Set<UserMmio>();

  constructor(
    private readonly channel: Channel,
    readonly regions: readonly RemoteRegion[],
    readonly maxDataXfer: number,
    private readonly guard: () => void,
  ) {}

  /** The region record for `index`; BAD_ARGUMENT when it does not exist. */
  region(index: number): RemoteRegion {
    const r = this.regions[index];
    if (r === undefined) {
      throw new VfioError(
        "BAD_ARGUMENT",
        `region index ${index} does not exist (device has ${this.regions.length})`,
      );
    }
    return r;
  }

  /** REGION_READ of `count` bytes; returns a copy of the data. */
  read(index: number, offset: number, count: number): Uint8Array {
    this.checkAccess(index, offset, count);
    const req = encodeRegionAccess({ offset, region: index, count, data: EMPTY });
    const reply = this.channel.request(Cmd.REGION_READ, req);
    this.checkReply(reply.body, index, offset, count, 16 + count);
    return reply.body.slice(16, 16 + count);
  }

  /** REGION_WRITE of `data`. */
  write(index: number, offset: number, data: Uint8Array): void {
    this.checkAccess(index, offset, data.length);
    const req = encodeRegionAccess({ offset, region: index, count: data.length, data });
    const reply = this.channel.request(Cmd.REGION_WRITE, req);
    this.checkReply(reply.body, index, offset, data.length, 16);
  }

  regionRead32(index: number, offset: number): number {
    const d = this.read(index, offset, 4);
    return new DataView(d.buffer, d.byteOffset, 4).getUint32(0, true);
  }

  /**
   * Trapped 32-bit reads of region `index` at `offsets[0..count)`, in order, into `out`: sent
   * as REGION_READs in batches of PIPELINE_DEPTH, each batch waiting once for the server.
   */
  regionRead32Many(index: number, offsets: Int32Array, out: Uint32Array, count: number): void {
    for (let i = 0; i < count; i++) this.checkAccess(index, offsets[i] as number, 4);
    for (let from = 0; from < count; from += PIPELINE_DEPTH) {
      const to = Math.min(count, from + PIPELINE_DEPTH);
      const reqs: Uint8Array[] = [];
      for (let i = from; i < to; i++) {
        reqs.push(
          encodeRegionAccess({
            offset: offsets[i] as number,
            region: index,
            count: 4,
            data: EMPTY,
          }),
        );
      }
      this.channel.requestMany(Cmd.REGION_READ, reqs, (k, body) => {
        const offset = offsets[from + k] as number;
        this.checkReply(body, index, offset, 4, 20);
        out[from + k] = new DataView(body.buffer, body.byteOffset + 16, 4).getUint32(0, true);
      });
    }
  }

  regionWrite32(index: number, offset: number, value: number): void {
    const d = new Uint8Array(4);
    new DataView(d.buffer).setUint32(0, value >>> 0, true);
    this.write(index, offset, d);
  }

  /** mmaps the region's sparse areas and returns the Mmio over the whole region. */
  map(index: number): UserMmio {
    this.guard();
    const r = this.region(index);
    if (r.info.size === 0) {
      throw new VfioError("BAD_ARGUMENT", `region ${index} is not implemented (size 0)`);
    }
    const areas: MappedArea[] = [];
    try {
      for (const a of r.mappable) {
        const prot = K.PROT_READ | K.PROT_WRITE;
        const address = mmap(a.size, prot, K.MAP_SHARED, r.fd, r.info.offset + a.offset);
        const view = new Uint32Array(viewOf(address, a.size));
        areas.push({ start: a.offset, end: a.offset + a.size, address, view });
      }
    } catch (e) {
      new UserMmio(this, index, r.info.size, areas, () => {}).close();
      throw new VfioError(
        "PROTOCOL",
        `cannot mmap sparse areas of region ${index}: ${(e as Error).message}`,
        { cause: e },
      );
    }
    const mmio = new UserMmio(this, index, r.info.size, areas, (m) => this.mmios.delete(m));
    this.mmios.add(mmio);
    return mmio;
  }

  private checkAccess(index: number, offset: number, count: number): void {
    this.guard();
    const size = this.region(index).info.size;
    const fits = Number.isSafeInteger(offset) && offset >= 0 && offset + count <= size;
    if (!fits || !Number.isInteger(count) || count < 1 || count > this.maxDataXfer) {
      throw new VfioError(
        "BAD_ARGUMENT",
        `access of ${count} bytes at 0x${offset.toString(16)} does not fit region ${index} ` +
          `(size 0x${size.toString(16)}, max transfer ${this.maxDataXfer})`,
      );
    }
  }

  /** The reply must echo offset, region and count, and be exactly `len` bytes. */
  private checkReply(b: Uint8Array, index: number, offset: number, count: number, len: number) {
    const dv = new DataView(b.buffer, b.byteOffset, b.length);
    const echoes =
      b.length === len &&
      getU64(dv, 0) === offset &&
      dv.getUint32(8, true) === index &&
      dv.getUint32(12, true) === count;
    if (!echoes) {
      throw new VfioError(
        "PROTOCOL",
        `region ${index} access reply (${b.length + HEADER_SIZE} bytes) does not match the ` +
          `request (offset 0x${offset.toString(16)}, ${count} bytes)`,
      );
    }
  }
}
