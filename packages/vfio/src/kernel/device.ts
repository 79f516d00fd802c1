/*
 * KernelVfioDevice: the VfioDevice contract over /dev/vfio (container/group/device fds,
 * IOMMU type1, IOVA = virtual address by default). Setup and control only; the driver's
 * hot path touches the BAR through the Mmio views mapRegion hands out.
 */
import type { Mmio } from "@dataplane/pci";
import { close, ioctl, pread, pwrite } from "@dataplane/sys";
import type { DeviceInfo, DmaMemory, IrqInfo, RegionInfo, VfioDevice } from "../device.ts";
import { VfioError } from "../errors.ts";
import { IOCTL, LAYOUTS, VFIO } from "./abi.ts";
import { type Container, type Group, releaseGroup } from "./container.ts";
import { RegionMmio } from "./region-mmio.ts";
import {
  decodeDeviceInfo,
  decodeIrqInfo,
  decodeRegionInfo,
  encodeIrqSet,
  irqInfoRequest,
  regionInfoRequest,
  request,
} from "./structs.ts";

const EVENTFD_TRIGGER = VFIO.IRQ_SET_DATA_EVENTFD | VFIO.IRQ_SET_ACTION_TRIGGER;
const NONE_TRIGGER = VFIO.IRQ_SET_DATA_NONE | VFIO.IRQ_SET_ACTION_TRIGGER;

/** A PCI function opened through kernel VFIO. Create with openKernelDevice. */
export class KernelVfioDevice implements VfioDevice {
  readonly kind = "kernel" as const;
  readonly info: DeviceInfo;
  private fd: number;
  private readonly regions = new Map<number, RegionInfo>();
  private readonly mmios = new Set<Mmio>();
  private readonly dmaMaps: Array<{ iova: number; bytes: number }> = [];
  private readonly irqsOn = new Set<number>();

  /** Takes ownership of `fd` (the device fd) and one reference to `group` in `container`. */
  constructor(
    readonly name: string,
    fd: number,
    private readonly container: Container,
    private readonly group: Group,
  ) {
    this.fd = fd;
    const buf = request(LAYOUTS.vfio_device_info.size);
    ioctl(fd, IOCTL.DEVICE_GET_INFO, buf, "VFIO_DEVICE_GET_INFO");
    this.info = decodeDeviceInfo(buf);
  }

  private guard(): number {
    if (this.fd < 0) throw new VfioError("CLOSED", `${this.name} is closed`);
    return this.fd;
  }

  /** REGION_INFO for `index`, retried with the size the kernel asks for so capabilities fit. */
  regionInfo(index: number): RegionInfo {
    const cached = this.regions.get(index);
    if (cached !== undefined) return cached;
    const fd = this.guard();
    if (!Number.isInteger(index) || index < 0 || index >= this.info.numRegions) {
      throw new VfioError(
        "BAD_ARGUMENT",
        `region ${index} does not exist (device has ${this.info.numRegions})`,
      );
    }
    let buf = regionInfoRequest(index);
    ioctl(fd, IOCTL.DEVICE_GET_REGION_INFO, buf, "VFIO_DEVICE_GET_REGION_INFO");
    let reply = decodeRegionInfo(buf);
    if (reply.argsz > buf.byteLength) {
      buf = regionInfoRequest(index, reply.argsz);
      ioctl(fd, IOCTL.DEVICE_GET_REGION_INFO, buf, "VFIO_DEVICE_GET_REGION_INFO");
      reply = decodeRegionInfo(buf);
    }
    this.regions.set(index, reply.info);
    return reply.info;
  }

  private configAccess(offset: number, bytes: number): number {
    const config = this.regionInfo(VFIO.PCI_CONFIG_REGION_INDEX);
    if (
      ![1, 2, 4].includes(bytes) ||
      !Number.isInteger(offset) ||
      offset < 0 ||
      offset % bytes !== 0
    ) {
      throw new VfioError(
        "BAD_ARGUMENT",
        `config access of ${bytes} bytes at ${offset} is not naturally aligned`,
      );
    }
    if (offset + bytes > config.size) {
      throw new VfioError(
        "BAD_ARGUMENT",
        `config offset ${offset} is past the ${config.size}-byte config space`,
      );
    }
    return config.offset + offset;
  }

  /** Reads 1, 2 or 4 bytes of config space (little-endian) through the config region. */
  readConfig(offset: number, bytes: 1 | 2 | 4): number {
    const at = this.configAccess(offset, bytes);
    const buf = new Uint8Array(4);
    if (pread(this.guard(), buf, bytes, at) !== bytes) {
      throw new VfioError("BAD_ARGUMENT", `short config read at ${offset}`);
    }
    return new DataView(buf.buffer).getUint32(0, true);
  }

  /** Writes 1, 2 or 4 bytes of config space (little-endian). */
  writeConfig(offset: number, bytes: 1 | 2 | 4, value: number): void {
    const at = this.configAccess(offset, bytes);
    const buf = new Uint8Array(4);
    new DataView(buf.buffer).setUint32(0, value >>> 0, true);
    if (pwrite(this.guard(), buf, bytes, at) !== bytes) {
      throw new VfioError("BAD_ARGUMENT", `short config write at ${offset}`);
    }
  }

  /** Maps region `index`: mmapped where the kernel allows, trapped pread/pwrite elsewhere. */
  mapRegion(index: number): Mmio {
    const info = this.regionInfo(index);
    if (info.size === 0)
      throw new VfioError("BAD_ARGUMENT", `region ${index} of ${this.name} is not implemented`);
    const mmio = new RegionMmio(this.guard(), info);
    this.mmios.add(mmio);
    return mmio;
  }

  /**
   * Maps `memory` for DMA at `iova`; without one, at its virtual address when the IOMMU's IOVA
   * windows include it, else at an IOVA allocated inside them. Returns the IOVA.
   */
  dmaMap(memory: DmaMemory, iova?: number): number {
    this.guard();
    const dma = this.container.dma;
    let at: number;
    if (iova === undefined) at = dma.place(memory.address, memory.bytes);
    else {
      dma.map(memory.address, iova, memory.bytes);
      at = iova;
    }
    this.dmaMaps.push({ iova: at, bytes: memory.bytes });
    return at;
  }

  /** Removes a mapping made by dmaMap (same iova and size). */
  dmaUnmap(iova: number, bytes: number): void {
    this.guard();
    const i = this.dmaMaps.findIndex((m) => m.iova === iova && m.bytes === bytes);
    if (i < 0)
      throw new VfioError(
        "DMA",
        `${this.name} has no DMA mapping at 0x${iova.toString(16)} of ${bytes} bytes`,
      );
    this.dmaMaps.splice(i, 1);
    this.container.dma.unmap(iova, bytes);
  }

  /** IRQ_INFO for `index` (IRQ_MSIX = 2 for the 82599's vectors). */
  irqInfo(index: number): IrqInfo {
    const buf = irqInfoRequest(index);
    ioctl(this.guard(), IOCTL.DEVICE_GET_IRQ_INFO, buf, "VFIO_DEVICE_GET_IRQ_INFO");
    return decodeIrqInfo(buf);
  }

  /** Routes vectors start.. of IRQ `index` to `fds` (-1 leaves one unset). */
  setIrqEventfds(index: number, start: number, fds: readonly number[]): void {
    const req = encodeIrqSet(index, EVENTFD_TRIGGER, start, fds);
    ioctl(this.guard(), IOCTL.DEVICE_SET_IRQS, req, "VFIO_DEVICE_SET_IRQS");
    this.irqsOn.add(index);
  }

  /** Disables every vector of IRQ `index`; the kernel then drops its eventfd references. */
  disableIrqs(index: number): void {
    ioctl(
      this.guard(),
      IOCTL.DEVICE_SET_IRQS,
      encodeIrqSet(index, NONE_TRIGGER, 0, []),
      "VFIO_DEVICE_SET_IRQS",
    );
    this.irqsOn.delete(index);
  }

  /** Function-level reset. Bus Master must be set again afterwards. */
  reset(): void {
    if ((this.info.flags & VFIO.DEVICE_FLAGS_RESET) === 0) {
      throw new VfioError(
        "BAD_ARGUMENT",
        `${this.name} does not support VFIO_DEVICE_RESET (flags 0x${this.info.flags.toString(16)})`,
      );
    }
    ioctl(this.guard(), IOCTL.DEVICE_RESET, null, "VFIO_DEVICE_RESET");
  }

  /** Disables IRQs, unmaps regions and DMA, closes the device and releases group/container. */
  close(): void {
    if (this.fd < 0) return;
    const fd = this.fd;
    const errors: unknown[] = [];
    const attempt = (fn: () => void) => {
      try {
        fn();
      } catch (e) {
        errors.push(e);
      }
    };
    for (const index of this.irqsOn) attempt(() => this.disableIrqs(index));
    for (const mmio of this.mmios) attempt(() => mmio.close());
    for (const m of this.dmaMaps) attempt(() => this.container.dma.unmap(m.iova, m.bytes));
    this.fd = -1;
    this.mmios.clear();
    this.dmaMaps.length = 0;
    attempt(() => close(fd));
    attempt(() => releaseGroup(this.container, this.group));
    // Everything above was attempted; report the first failure rather than hide it.
    if (errors.length > 0) throw errors[0];
  }

  [Symbol.dispose](): void {
    this.close();
  }
}
