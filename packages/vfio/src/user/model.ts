/*
 * What a device model declares to sit behind VfioUserServer: PCI config space, regions
 * (trapped callbacks, optionally with page-aligned areas the client may mmap from a shared fd),
 * IRQ vector counts and reset. Nothing here is vfio-user specific beyond VFIO's PCI numbering.
 */

/** PCI configuration space (region 7). */
export interface ConfigSpaceModel {
  /** The config bytes (256 for PCI, 4096 for PCIe), owned by the model; client writes land here. */
  readonly bytes: Uint8Array;
  /**
   * Per byte, the bits a client write may change (BAR sizing works by leaving the size bits
   * clear). Absent: every bit is writable.
   */
  readonly writableMask?: Uint8Array;
  /** Called after a client write was applied, with the access width and the value as sent. */
  onWrite?(offset: number, bytes: number, value: number): void;
}

/** One page-aligned part of a region the client may mmap (offsets relative to the region). */
export interface MmapArea {
  readonly offset: number;
  readonly size: number;
}

/** A BAR (or ROM/VGA) region. */
export interface RegionModel {
  /** Size in bytes (0 or absent region = not implemented). */
  readonly size: number;
  /**
   * Areas the client may mmap: `fd` (the model keeps it open and usually maps it itself) is sent
   * with the region info; area i is at file offset `fileOffset + areas[i].offset`.
   */
  readonly mmap?: {
    readonly fd: number;
    readonly fileOffset?: number;
    readonly areas: readonly MmapArea[];
  };
  /**
   * Trapped read of 1, 2 or 4 bytes at `offset` (naturally aligned). Called for every
   * REGION_READ, including ones that fall in mmappable areas.
   */
  read(offset: number, bytes: number): number;
  /** Trapped write of 1, 2 or 4 bytes at `offset`. */
  write(offset: number, bytes: number, value: number): void;
}

/** Why the model is being reset. */
export type ResetReason = "request" | "disconnect";

/** A device model served by VfioUserServer. */
export interface VfioUserDeviceModel {
  readonly config: ConfigSpaceModel;
  /** Regions by VFIO index: 0-5 BARs, 6 ROM, 8 VGA. Index 7 is `config`. */
  readonly regions: readonly (RegionModel | undefined)[];
  /** Vectors per IRQ index (0 INTx, 1 MSI, 2 MSI-X, 3 ERR, 4 REQ); missing entries are 0. */
  readonly irqCounts: readonly number[];
  /**
   * Resets the device: on DEVICE_RESET ("request"; DMA windows and eventfds stay) and when the
   * client goes away ("disconnect"; windows and eventfds are dropped right after this returns).
   * The model must stop DMA here and forget any cached window index.
   */
  reset(reason: ResetReason): void;
  /** Called before the window at [iova, iova + size) is unmapped on request; stop using it. */
  dmaUnmapping?(iova: number, size: number): void;
  /** Called after the client changed the eventfds of IRQ `index`. */
  irqsChanged?(index: number): void;
}
