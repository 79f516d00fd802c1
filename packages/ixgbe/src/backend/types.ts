/*
 * The back-end contract: everything the driver needs from "a device plus DMA memory", and
 * nothing else. Kernel VFIO, vfio-user, sysfs and the in-memory test device all reduce to this,
 * so only src/backend/ changes when the packages underneath change their names.
 */
import type { Mmio } from "@dataplane/pci";

/** How the device addresses a block: physical addresses, or IOVA = base + offset. */
export type DmaAddressing =
  | { readonly kind: "physical" }
  | { readonly kind: "iova"; readonly base: number };

/**
 * DMA-able memory owned by the driver: hugepage-backed on real back-ends. The fields before
 * `dma` are the shape @dataplane/mempool's `MempoolMemory` asks for.
 */
export interface DmaBlock {
  /** Virtual address of byte 0 in this process. */
  readonly address: number;
  /** Length in bytes. */
  readonly bytes: number;
  /** Page size in bytes (the unit of physical contiguity). */
  readonly pageSize: number;
  /** Whole block as bytes. */
  readonly u8: Uint8Array;
  /** Whole block as little-endian 32-bit words. */
  readonly u32: Uint32Array;
  /** Physical address of byte `offset` (physical addressing only). */
  physicalAddress(offset: number): number;
  /** How the device sees this block; pass to Mempool.create as `dma`. */
  readonly dma: DmaAddressing;
  /** Device (bus) address of byte `offset`. */
  deviceAddress(offset: number): number;
  /** File behind the memory (memfd) and where the block starts in it, when there is one. */
  readonly fd?: number;
  readonly fdOffset?: number;
  /** Unmaps it from the device and frees it. Idempotent. */
  close(): void;
}

/** Interrupt routing, present on VFIO back-ends only (a subset of VfioDevice). */
export interface IrqBackend {
  irqInfo(index: number): { readonly flags: number; readonly count: number };
  setIrqEventfds(index: number, start: number, fds: readonly number[]): void;
  disableIrqs(index: number): void;
}

/** Memory that another owner allocated and wants this device to DMA into. */
export interface ForeignMemory {
  readonly address: number;
  readonly bytes: number;
  readonly fd: number;
  readonly fdOffset: number;
  /**
   * The device address the owning device's buffers carry (the pool's dmaLo/dmaHi): a device
   * sending from this memory must see it at the same address. Absent: the virtual address.
   */
  readonly iova?: number;
}

/** One opened device with its DMA strategy. */
export interface Backend {
  /** Which path reaches the device. */
  readonly kind: "kernel-vfio" | "vfio-user" | "sysfs" | "memory";
  /** Human-readable name: PCI address, socket path or directory. */
  readonly name: string;
  /** PCI vendor id read from config space. */
  readonly vendorId: number;
  /** PCI device id read from config space. */
  readonly deviceId: number;
  /** BAR0, the register space. */
  readonly bar0: Mmio;
  /** Allocates `bytes` (rounded up to pages) of DMA memory visible to the device. */
  allocDma(bytes: number, label: string): DmaBlock;
  /**
   * Makes memory allocated elsewhere (say another device's mempool) visible to this device at
   * IOVA = its virtual address. A no-op on physical back-ends. Returns the IOVA of byte 0.
   */
  mapForeign(memory: ForeignMemory): number;
  /**
   * True when reading BAR0 at `offset` is a plain memory read with no side effect: the device
   * serves that word as shared memory (a vfio-user sparse mmap area), so its clear-on-read
   * counters run free there and the driver takes differences. Absent (or false) where reads
   * act as on the card: kernel VFIO and sysfs mappings of real hardware, trapped accesses.
   */
  plainRead?(offset: number): boolean;
  /** Interrupt routing, or null when the back-end has none (sysfs). */
  readonly irq: IrqBackend | null;
  /** Unmaps BAR0 and closes the device. Idempotent; close DMA blocks first. */
  close(): void;
}
