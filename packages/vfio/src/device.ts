/*
 * The VfioDevice contract: what the ixgbe driver uses, whatever is behind it (kernel VFIO
 * ioctls or a vfio-user socket). Region and IRQ indexes follow VFIO's PCI numbering.
 */
import type { Mmio } from "@dataplane/pci";

/** VFIO PCI region index of BAR0 (linux/vfio.h VFIO_PCI_BAR0_REGION_INDEX). */
export const REGION_BAR0 = 0;
/** VFIO PCI region index of config space (VFIO_PCI_CONFIG_REGION_INDEX). */
export const REGION_CONFIG = 7;
/** VFIO PCI IRQ index of legacy INTx. */
export const IRQ_INTX = 0;
/** VFIO PCI IRQ index of MSI. */
export const IRQ_MSI = 1;
/** VFIO PCI IRQ index of MSI-X (the 82599's per-queue vectors). */
export const IRQ_MSIX = 2;

/** What the device says about itself (VFIO_DEVICE_GET_INFO / DEVICE_GET_INFO). */
export interface DeviceInfo {
  /** VFIO_DEVICE_FLAGS_* (RESET = 1, PCI = 2, CAPS = 0x80). */
  readonly flags: number;
  readonly numRegions: number;
  readonly numIrqs: number;
}

/** A part of a region that may be mmapped: byte offset inside the region and length. */
export interface SparseArea {
  readonly offset: number;
  readonly size: number;
}

/** One region (BAR, config space, ...) as the device describes it. Sizes in bytes. */
export interface RegionInfo {
  readonly index: number;
  /** VFIO_REGION_INFO_FLAG_* (READ = 1, WRITE = 2, MMAP = 4, CAPS = 8). */
  readonly flags: number;
  readonly size: number;
  /** Offset to use with the device fd (kernel) or in region read/write messages (vfio-user). */
  readonly offset: number;
  /** Areas that may be mmapped; empty with MMAP set means the whole region. */
  readonly sparseAreas: readonly SparseArea[];
}

/** One IRQ index (INTx, MSI, MSI-X, ...): how many vectors it has and what it supports. */
export interface IrqInfo {
  readonly index: number;
  /** VFIO_IRQ_INFO_* (EVENTFD = 1, MASKABLE = 2, AUTOMASKED = 4, NORESIZE = 8). */
  readonly flags: number;
  readonly count: number;
}

/**
 * Memory the device may DMA into: a mapping of `fd` at `fdOffset`, `bytes` long, seen by this
 * process at `address`. A @dataplane/hugemem region satisfies this shape.
 */
export interface DmaMemory {
  readonly address: number;
  readonly bytes: number;
  readonly fd: number;
  readonly fdOffset: number;
}

/** One device, one contract. Every method may throw VfioError with an actionable message. */
export interface VfioDevice {
  /** "kernel" for /dev/vfio, "vfio-user" for a socket. */
  readonly kind: "kernel" | "vfio-user";
  /** Human-readable name: PCI address or socket path. */
  readonly name: string;
  readonly info: DeviceInfo;
  regionInfo(index: number): RegionInfo;
  /** Reads 1, 2 or 4 bytes of PCI config space (little-endian). */
  readConfig(offset: number, bytes: 1 | 2 | 4): number;
  writeConfig(offset: number, bytes: 1 | 2 | 4, value: number): void;
  /** Maps a region (mmap where allowed, trapped access elsewhere) behind the Mmio shape. */
  mapRegion(index: number): Mmio;
  /**
   * Makes `memory` visible to the device and returns the IOVA at which the device sees
   * `memory.address`. `iova` defaults to the virtual address (as ixy does under VFIO); kernel
   * VFIO falls back to an IOVA allocated inside the IOMMU's windows when they do not include
   * the virtual address (an IOMMU with fewer address bits than user space).
   */
  dmaMap(memory: DmaMemory, iova?: number): number;
  dmaUnmap(iova: number, bytes: number): void;
  irqInfo(index: number): IrqInfo;
  /** Routes vectors start..start+fds.length-1 of IRQ `index` to eventfds (-1 leaves one unset). */
  setIrqEventfds(index: number, start: number, fds: readonly number[]): void;
  /** Disables every vector of IRQ `index`. */
  disableIrqs(index: number): void;
  /** Function-level device reset. */
  reset(): void;
  /** Unmaps DMA, closes regions and the device. Idempotent. */
  close(): void;
}
