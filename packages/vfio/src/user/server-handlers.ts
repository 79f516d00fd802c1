/*
 * One handler per vfio-user command on the server. Input is untrusted: sizes, argsz, indexes,
 * ranges and fd counts are checked before anything is touched, and a failure becomes an errno
 * for the error reply. Handlers own the fds that came with the message: they keep them (IRQ
 * eventfds) or close them (DMA memory once mapped; anything unexpected).
 */
import { readlinkSync } from "node:fs";
import { Errno, SysError } from "@dataplane/sys";
import { type Capabilities, capabilitiesJson, parseCapabilities } from "./caps.ts";
import { closeAll } from "./channel.ts";
import { checkDmaFile } from "./dma-file.ts";
import { DMA_READ, DMA_WRITE, type DmaSpace } from "./dma-space.ts";
import type { IrqTable } from "./irq-table.ts";
import type { VfioUserDeviceModel } from "./model.ts";
import {
  DMA_MAP_SIZE,
  DMA_UNMAP_SIZE,
  decodeDmaMap,
  decodeDmaUnmap,
  decodeIrqSet,
  decodeRegionAccess,
  decodeVersion,
  encodeDeviceInfo,
  encodeIrqInfo,
  encodeVersion,
  REGION_ACCESS_SIZE,
} from "./payloads.ts";
import {
  Cmd,
  DEVICE_FLAGS_PCI,
  DEVICE_FLAGS_RESET,
  DMA_MAP_FLAG_READ,
  DMA_MAP_FLAG_WRITE,
  DMA_UNMAP_FLAG_ALL,
  IRQ_INFO_EVENTFD,
  IRQ_SET_ACTION_BITS,
  IRQ_SET_ACTION_TRIGGER,
  IRQ_SET_DATA_BOOL,
  IRQ_SET_DATA_EVENTFD,
  IRQ_SET_DATA_MASK,
  IRQ_SET_DATA_NONE,
  NUM_IRQS,
  NUM_REGIONS,
  VERSION_MAJOR,
  VERSION_MINOR,
} from "./protocol.ts";
import { readRegion, regionInfoReply, regionSize, writeRegion } from "./server-regions.ts";

/** Connection state the handlers read and update. */
export interface ServerContext {
  readonly model: VfioUserDeviceModel;
  readonly dma: DmaSpace;
  readonly irqs: IrqTable;
  readonly maxDataXfer: number;
  readonly maxMsgFds: number;
  versioned: boolean;
  clientCaps: Capabilities;
  /** Log line sink (refusals worth telling the operator about). */
  log(line: string): void;
}

/** What to answer: errno 0 with a payload (and fds to send), or an errno; maybe hang up after. */
export interface Outcome {
  errno: number;
  payload: Uint8Array;
  fds: readonly number[];
  close: boolean;
}

const EMPTY = new Uint8Array(0);
const PAGE = 4096;
const SAFE = 2 ** 53;
const { EACCES, EINVAL, EEXIST, ENOSPC, EIO, EOPNOTSUPP } = Errno;

const ok = (payload: Uint8Array, fds: readonly number[] = []): Outcome => ({
  errno: 0,
  payload,
  fds,
  close: false,
});
const fail = (errno: number, close = false): Outcome => ({ errno, payload: EMPTY, fds: [], close });

/** Handles one command; `fds` came with it and are now the handler's to keep or close. */
export function handleCommand(
  ctx: ServerContext,
  cmd: number,
  body: Uint8Array,
  fds: number[],
): Outcome {
  if (!ctx.versioned && cmd !== Cmd.VERSION) {
    closeAll(fds);
    return fail(EINVAL, true); // VERSION must come first, as libvfio-user insists
  }
  const takesFds = cmd === Cmd.DMA_MAP || cmd === Cmd.DEVICE_SET_IRQS;
  if (!takesFds && fds.length > 0) {
    closeAll(fds);
    return fail(EINVAL, cmd === Cmd.VERSION);
  }
  try {
    switch (cmd) {
      case Cmd.VERSION:
        return version(ctx, body);
      case Cmd.DEVICE_GET_INFO:
        return deviceInfo(body);
      case Cmd.DEVICE_GET_REGION_INFO:
        return regionInfo(ctx, body);
      case Cmd.DEVICE_GET_IRQ_INFO:
        return irqInfo(ctx, body);
      case Cmd.DEVICE_SET_IRQS:
        return setIrqs(ctx, body, fds);
      case Cmd.REGION_READ:
      case Cmd.REGION_WRITE:
        return regionAccess(ctx, cmd, body);
      case Cmd.DMA_MAP:
        return dmaMap(ctx, body, fds);
      case Cmd.DMA_UNMAP:
        return dmaUnmap(ctx, body);
      case Cmd.DEVICE_RESET:
        if (body.length !== 0) return fail(EINVAL);
        ctx.model.reset("request");
        return ok(EMPTY);
      default:
        return fail(EINVAL);
    }
  } catch (e) {
    closeAll(fds); // handlers empty `fds` once they have closed or kept them
    return fail(
      e instanceof SysError ? e.errno : e instanceof Error && e.name === "VfioError" ? EINVAL : EIO,
    );
  }
}

function version(ctx: ServerContext, body: Uint8Array): Outcome {
  if (ctx.versioned) return fail(EINVAL);
  const v = decodeVersion(body); // malformed: VfioError -> EINVAL
  if (v.major !== VERSION_MAJOR) return fail(EOPNOTSUPP, true);
  ctx.clientCaps = parseCapabilities(v.json);
  ctx.versioned = true;
  const json = capabilitiesJson(
    { maxMsgFds: ctx.maxMsgFds, maxDataXfer: ctx.maxDataXfer },
    { pgsizes: PAGE, max_dma_maps: ctx.dma.maxWindows },
  );
  return ok(encodeVersion({ major: VERSION_MAJOR, minor: Math.min(v.minor, VERSION_MINOR), json }));
}

function argsz(body: Uint8Array, min: number): number {
  if (body.length < min) return -1;
  const a = new DataView(body.buffer, body.byteOffset, 4).getUint32(0, true);
  return a < min ? -1 : a;
}

function deviceInfo(body: Uint8Array): Outcome {
  if (argsz(body, 16) < 0) return fail(EINVAL);
  const flags = DEVICE_FLAGS_PCI | DEVICE_FLAGS_RESET;
  return ok(encodeDeviceInfo({ argsz: 16, flags, numRegions: NUM_REGIONS, numIrqs: NUM_IRQS }));
}

function regionInfo(ctx: ServerContext, body: Uint8Array): Outcome {
  const a = argsz(body, 32);
  if (a < 0) return fail(EINVAL);
  const index = new DataView(body.buffer, body.byteOffset, 32).getUint32(8, true);
  if (index >= NUM_REGIONS) return fail(EINVAL);
  const r = regionInfoReply(ctx.model, index, a);
  // A client that said it takes no fds gets no mmap offer.
  if (r.fds.length > ctx.clientCaps.maxMsgFds)
    return ok(regionInfoReply(ctx.model, index, 32).payload);
  return ok(r.payload, r.fds);
}

function irqInfo(ctx: ServerContext, body: Uint8Array): Outcome {
  if (argsz(body, 16) < 0) return fail(EINVAL);
  const index = new DataView(body.buffer, body.byteOffset, 16).getUint32(8, true);
  if (index >= NUM_IRQS) return fail(EINVAL);
  return ok(
    encodeIrqInfo({ argsz: 16, flags: IRQ_INFO_EVENTFD, index, count: ctx.irqs.count(index) }),
  );
}

function isEventfd(fd: number): boolean {
  try {
    return readlinkSync(`/proc/self/fd/${fd}`) === "anon_inode:[eventfd]";
  } catch {
    return false;
  }
}

function setIrqs(ctx: ServerContext, body: Uint8Array, fds: number[]): Outcome {
  const s = decodeIrqSet(body);
  const data = s.flags & IRQ_SET_DATA_MASK;
  const action = s.flags & IRQ_SET_ACTION_BITS;
  const n = ctx.irqs.count(s.index);
  const valid =
    s.argsz >= 20 &&
    s.index < NUM_IRQS &&
    (s.flags & ~(IRQ_SET_DATA_MASK | IRQ_SET_ACTION_BITS)) === 0 &&
    action === IRQ_SET_ACTION_TRIGGER && // no MASKABLE flag is advertised
    (data === IRQ_SET_DATA_NONE || data === IRQ_SET_DATA_BOOL || data === IRQ_SET_DATA_EVENTFD) &&
    s.start + s.count <= n &&
    (data !== IRQ_SET_DATA_EVENTFD
      ? fds.length === 0
      : fds.length === 0 || fds.length === s.count) &&
    (data !== IRQ_SET_DATA_BOOL || s.data.length >= s.count) &&
    fds.every(isEventfd);
  if (!valid) {
    closeAll(fds);
    return fail(EINVAL);
  }
  if (data === IRQ_SET_DATA_EVENTFD) {
    if (fds.length === 0) ctx.irqs.clear(s.index, s.start, s.count);
    else ctx.irqs.assign(s.index, s.start, fds);
    fds.length = 0; // the table owns them now
  } else if (s.count === 0) {
    if (s.start !== 0) return fail(EINVAL);
    ctx.irqs.clear(s.index); // DATA_NONE|TRIGGER with count 0: disable the whole index
  } else {
    for (let i = 0; i < s.count; i++) {
      if (data === IRQ_SET_DATA_NONE || s.data[i] !== 0) ctx.irqs.trigger(s.index, s.start + i);
    }
    return ok(EMPTY);
  }
  ctx.model.irqsChanged?.(s.index);
  return ok(EMPTY);
}

function regionAccess(ctx: ServerContext, cmd: number, body: Uint8Array): Outcome {
  const a = decodeRegionAccess(body);
  const isRead = cmd === Cmd.REGION_READ;
  const expected = REGION_ACCESS_SIZE + (isRead ? 0 : a.count);
  if (
    body.length !== expected ||
    a.region >= NUM_REGIONS ||
    a.count === 0 ||
    a.count > ctx.maxDataXfer
  ) {
    return fail(EINVAL);
  }
  if (a.offset + a.count > regionSize(ctx.model, a.region)) return fail(EINVAL);
  const echo = body.slice(0, REGION_ACCESS_SIZE);
  if (!isRead) {
    writeRegion(ctx.model, a.region, a.offset, a.data);
    return ok(echo);
  }
  const out = new Uint8Array(REGION_ACCESS_SIZE + a.count);
  out.set(echo, 0);
  readRegion(ctx.model, a.region, a.offset, out.subarray(REGION_ACCESS_SIZE));
  return ok(out);
}

function dmaMap(ctx: ServerContext, body: Uint8Array, fds: number[]): Outcome {
  try {
    const m = decodeDmaMap(body);
    const fine = (v: number) => Number.isSafeInteger(v) && v % PAGE === 0;
    const flagsOk = m.flags !== 0 && (m.flags & ~(DMA_MAP_FLAG_READ | DMA_MAP_FLAG_WRITE)) === 0;
    if (body.length !== DMA_MAP_SIZE || m.argsz < DMA_MAP_SIZE || !flagsOk || fds.length !== 1)
      return fail(EINVAL);
    if (
      !fine(m.offset) ||
      !fine(m.address) ||
      !fine(m.size) ||
      m.size === 0 ||
      m.address + m.size > SAFE ||
      m.offset + m.size > SAFE
    ) {
      return fail(EINVAL);
    }
    if (ctx.dma.overlaps(m.address, m.size)) return fail(EEXIST);
    if (ctx.dma.count >= ctx.dma.maxWindows) return fail(ENOSPC);
    const fd = fds[0] as number;
    const file = checkDmaFile(fd, m.offset, m.size);
    if ("errno" in file) {
      ctx.log(
        `DMA_MAP of 0x${m.size.toString(16)} bytes at IOVA 0x${m.address.toString(16)} refused: ${file.why}`,
      );
      return fail(file.errno);
    }
    const access =
      ((m.flags & DMA_MAP_FLAG_READ) !== 0 ? DMA_READ : 0) |
      ((m.flags & DMA_MAP_FLAG_WRITE) !== 0 ? DMA_WRITE : 0);
    if (file.readOnly && (access & DMA_WRITE) !== 0) {
      ctx.log(
        "DMA_MAP with WRITE refused: the fd was opened read-only; send a writable fd or map READ only",
      );
      return fail(EACCES);
    }
    ctx.dma.map(m.address, m.size, fd, m.offset, access, file.readOnly);
    return ok(EMPTY);
  } finally {
    closeAll(fds); // the mapping keeps the memory; the fd itself is no longer needed
    fds.length = 0;
  }
}

function dmaUnmap(ctx: ServerContext, body: Uint8Array): Outcome {
  const u = decodeDmaUnmap(body);
  if (body.length !== DMA_UNMAP_SIZE || u.argsz < DMA_UNMAP_SIZE) return fail(EINVAL);
  if (u.flags === DMA_UNMAP_FLAG_ALL && u.address === 0 && u.size === 0) {
    for (let i = ctx.dma.count - 1; i >= 0; i--) {
      ctx.model.dmaUnmapping?.(ctx.dma.iovaOf(i), ctx.dma.sizeOf(i));
      ctx.dma.unmap(i);
    }
    return ok(body.slice(0, DMA_UNMAP_SIZE));
  }
  const index = u.flags === 0 ? ctx.dma.find(u.address, u.size) : -1;
  if (index < 0) return fail(EINVAL);
  ctx.model.dmaUnmapping?.(u.address, u.size);
  ctx.dma.unmap(index);
  return ok(body.slice(0, DMA_UNMAP_SIZE));
}
