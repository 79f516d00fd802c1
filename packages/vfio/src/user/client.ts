/*
 * The vfio-user client: a VfioDevice backed by a UNIX socket to a device server (for example
 * ixgbe-sim). Construction runs the open sequence (VERSION, GET_INFO, region and IRQ info);
 * everything afterwards is one synchronous, time-bounded request/reply per call.
 */
import type { Mmio } from "@dataplane/pci";
import { Errno } from "@dataplane/sys";
import type { DeviceInfo, DmaMemory, IrqInfo, RegionInfo, VfioDevice } from "../device.ts";
import { REGION_CONFIG } from "../device.ts";
import { VfioError } from "../errors.ts";
import { capabilitiesJson, parseCapabilities } from "./caps.ts";
import { type Channel, closeAll } from "./channel.ts";
import { openSequence } from "./client-open.ts";
import { RegionPort } from "./client-regions.ts";
import { encodeDmaMap, encodeDmaUnmap, encodeIrqSet, encodeVersion } from "./payloads.ts";
import {
  Cmd,
  DMA_MAP_FLAG_READ,
  DMA_MAP_FLAG_WRITE,
  getU64,
  IRQ_SET_ACTION_TRIGGER,
  IRQ_SET_DATA_EVENTFD,
  IRQ_SET_DATA_NONE,
  VERSION_MAJOR,
  VERSION_MINOR,
} from "./protocol.ts";

const SAFE = 2 ** 53;
const EMPTY = new Uint8Array(0);

/** A vfio-user device. Implements VfioDevice; adds raw region access and negotiated limits. */
export class VfioUserClient implements VfioDevice {
  readonly kind = "vfio-user" as const;
  readonly info: DeviceInfo;
  /** Largest REGION_READ/WRITE count the server accepts. */
  readonly maxDataXfer: number;
  /** Most descriptors the server accepts in one message. */
  readonly serverMaxMsgFds: number;
  private readonly port: RegionPort;
  private readonly irqs: IrqInfo[];
  private readonly dma = new Map<number, number>();
  private readonly irqIndexesSet = new Set<number>();
  private closed = false;

  constructor(
    readonly name: string,
    private readonly channel: Channel,
    maxMsgFds: number,
  ) {
    const json = capabilitiesJson({ maxMsgFds, maxDataXfer: 1 << 20 });
    const version = negotiate(channel, name, json);
    const opened = openSequence(channel, version.body);
    const caps = parseCapabilities(opened.json);
    this.maxDataXfer = caps.maxDataXfer;
    this.serverMaxMsgFds = Math.max(1, caps.maxMsgFds);
    this.info = opened.info;
    this.port = new RegionPort(channel, opened.regions, this.maxDataXfer, () => this.guard());
    this.irqs = opened.irqs;
  }

  regionInfo(index: number): RegionInfo {
    return this.port.region(index).info;
  }

  irqInfo(index: number): IrqInfo {
    const irq = this.irqs[index];
    if (irq === undefined) {
      throw new VfioError(
        "BAD_ARGUMENT",
        `IRQ index ${index} does not exist (device has ${this.irqs.length})`,
      );
    }
    return irq;
  }

  readConfig(offset: number, bytes: 1 | 2 | 4): number {
    this.checkConfig(offset, bytes);
    const data = this.regionRead(REGION_CONFIG, offset, bytes);
    const dv = new DataView(data.buffer, data.byteOffset, bytes);
    return bytes === 1
      ? dv.getUint8(0)
      : bytes === 2
        ? dv.getUint16(0, true)
        : dv.getUint32(0, true);
  }

  writeConfig(offset: number, bytes: 1 | 2 | 4, value: number): void {
    this.checkConfig(offset, bytes);
    const data = new Uint8Array(bytes);
    const dv = new DataView(data.buffer);
    if (bytes === 1) dv.setUint8(0, value);
    else if (bytes === 2) dv.setUint16(0, value, true);
    else dv.setUint32(0, value >>> 0, true);
    this.regionWrite(REGION_CONFIG, offset, data);
  }

  /** Reads `count` bytes of region `index` at `offset` through REGION_READ (a copy). */
  regionRead(index: number, offset: number, count: number): Uint8Array {
    return this.port.read(index, offset, count);
  }

  /** Writes `data` to region `index` at `offset` through REGION_WRITE. */
  regionWrite(index: number, offset: number, data: Uint8Array): void {
    this.port.write(index, offset, data);
  }

  /** One trapped 32-bit register read (a REGION_READ round trip). */
  regionRead32(index: number, offset: number): number {
    return this.port.regionRead32(index, offset);
  }

  /** One trapped 32-bit register write (a REGION_WRITE round trip). */
  regionWrite32(index: number, offset: number, value: number): void {
    this.port.regionWrite32(index, offset, value);
  }

  mapRegion(index: number): Mmio {
    return this.port.map(index);
  }

  dmaMap(memory: DmaMemory, iova: number = memory.address): number {
    this.guard();
    const { fd, fdOffset, bytes } = memory;
    const ok = (n: number) => Number.isSafeInteger(n) && n >= 0;
    if (!ok(fd) || !ok(fdOffset) || !ok(bytes) || bytes === 0 || !ok(iova) || iova + bytes > SAFE) {
      throw new VfioError(
        "BAD_ARGUMENT",
        `dmaMap needs fd ≥ 0, fdOffset ≥ 0, bytes > 0 and iova + bytes < 2^53; got fd ${fd}, ` +
          `fdOffset ${fdOffset}, bytes ${bytes}, iova ${iova}`,
      );
    }
    const payload = encodeDmaMap({
      argsz: 32,
      flags: DMA_MAP_FLAG_READ | DMA_MAP_FLAG_WRITE,
      offset: fdOffset,
      address: iova,
      size: bytes,
    });
    try {
      this.channel.request(Cmd.DMA_MAP, payload, [fd]);
    } catch (e) {
      if (!(e instanceof VfioError) || e.code !== "REMOTE") throw e;
      throw new VfioError(
        "DMA",
        `DMA map of ${bytes} bytes at IOVA 0x${iova.toString(16)} refused: ${e.message}; ` +
          "ranges must not overlap, hugepage memory must be mapped in whole pages, and the " +
          "memory must be a memfd made with MFD_ALLOW_SEALING that holds the whole window",
        { cause: e },
      );
    }
    this.dma.set(iova, bytes);
    return iova;
  }

  dmaUnmap(iova: number, bytes: number): void {
    this.guard();
    if (this.dma.get(iova) !== bytes) {
      throw new VfioError(
        "DMA",
        `no DMA mapping of exactly ${bytes} bytes at IOVA 0x${iova.toString(16)}; unmap what dmaMap mapped`,
      );
    }
    const reply = this.channel.request(
      Cmd.DMA_UNMAP,
      encodeDmaUnmap({ argsz: 24, flags: 0, address: iova, size: bytes }),
    );
    const dv = new DataView(reply.body.buffer, reply.body.byteOffset, reply.body.length);
    if (reply.body.length !== 24 || getU64(dv, 8) !== iova || getU64(dv, 16) !== bytes) {
      throw new VfioError(
        "PROTOCOL",
        `DMA_UNMAP reply does not echo IOVA 0x${iova.toString(16)} / ${bytes} bytes`,
      );
    }
    this.dma.delete(iova);
  }

  setIrqEventfds(index: number, start: number, fds: readonly number[]): void {
    this.guard();
    const count = this.irqInfo(index).count;
    if (!Number.isInteger(start) || start < 0 || start + fds.length > count) {
      throw new VfioError(
        "BAD_ARGUMENT",
        `vectors ${start}..${start + fds.length - 1} outside IRQ ${index} (count ${count})`,
      );
    }
    // Runs of real fds go in messages of at most the server's max_msg_fds; runs of -1 go as
    // fd-less DATA_EVENTFD messages, which de-assign those vectors.
    for (let i = 0; i < fds.length; ) {
      const unset = (fds[i] as number) < 0;
      let j = i;
      while (
        j < fds.length &&
        (fds[j] as number) < 0 === unset &&
        (unset || j - i < this.serverMaxMsgFds)
      )
        j++;
      const payload = encodeIrqSet({
        argsz: 20,
        flags: IRQ_SET_DATA_EVENTFD | IRQ_SET_ACTION_TRIGGER,
        index,
        start: start + i,
        count: j - i,
        data: EMPTY,
      });
      this.channel.request(Cmd.DEVICE_SET_IRQS, payload, unset ? [] : fds.slice(i, j));
      i = j;
    }
    this.irqIndexesSet.add(index);
  }

  disableIrqs(index: number): void {
    this.guard();
    this.irqInfo(index);
    const flags = IRQ_SET_DATA_NONE | IRQ_SET_ACTION_TRIGGER;
    this.channel.request(
      Cmd.DEVICE_SET_IRQS,
      encodeIrqSet({ argsz: 20, flags, index, start: 0, count: 0, data: EMPTY }),
    );
    this.irqIndexesSet.delete(index);
  }

  reset(): void {
    this.guard();
    this.channel.request(Cmd.DEVICE_RESET, EMPTY);
  }

  /** Disables IRQs and unmaps DMA (if the server still answers), unmaps regions, closes fds. */
  close(): void {
    if (this.closed) return;
    for (const m of [...this.port.mmios]) m.close();
    // Best effort: a dead server must not turn close() into a string of timeouts.
    for (const index of this.irqIndexesSet) this.quietly(() => this.disableIrqs(index));
    for (const [iova, bytes] of [...this.dma]) this.quietly(() => this.dmaUnmap(iova, bytes));
    this.closed = true;
    for (const r of this.port.regions) if (r.fd >= 0) closeAll([r.fd]);
    this.channel.close();
  }

  [Symbol.dispose](): void {
    this.close();
  }

  private quietly(fn: () => void): void {
    if (!this.channel.usable) return;
    try {
      fn();
    } catch {
      // the server refused or is gone; closing the socket below releases its side anyway
    }
  }

  private guard(): void {
    if (this.closed)
      throw new VfioError(
        "CLOSED",
        `vfio-user device ${this.name} used after close(); connect again with connectVfioUser()`,
      );
  }

  private checkConfig(offset: number, bytes: number): void {
    if ((bytes !== 1 && bytes !== 2 && bytes !== 4) || offset % bytes !== 0) {
      throw new VfioError(
        "BAD_ARGUMENT",
        `config access of ${bytes} bytes at ${offset}: use 1, 2 or 4 bytes, naturally aligned`,
      );
    }
  }
}

/** The VERSION exchange; a server busy with another client is BUSY, not a bare error reply. */
function negotiate(channel: Channel, name: string, json: string): { body: Uint8Array } {
  try {
    return channel.request(
      Cmd.VERSION,
      encodeVersion({ major: VERSION_MAJOR, minor: VERSION_MINOR, json }),
    );
  } catch (e) {
    const errno = (e as { cause?: { errno?: number } }).cause?.errno;
    if (e instanceof VfioError && e.code === "REMOTE" && errno === Errno.EBUSY) {
      throw new VfioError(
        "BUSY",
        `device ${name} is in use by another client; stop that client or connect to another device`,
        { cause: e },
      );
    }
    throw e;
  }
}
