/*
 * DmaSpace: how the model reaches host memory. The device sees addresses (IOVA over vfio-user,
 * physical addresses in sysfs mode); each is resolved to a window of memory mapped into this
 * process. resolve() is on the per-packet path, so it returns an index and leaves the offset in
 * a field instead of allocating a result object.
 *
 * Every access says what the device does to the memory (DMA_READ, DMA_WRITE or both), so a
 * space whose windows carry protections (vfio-user DMA_MAP READ/WRITE flags) can refuse a write
 * to a read-only window the way an IOMMU would: as a DMA fault.
 */

/** The device reads the memory (TX buffers). */
export const DMA_READ = 1;
/** The device writes the memory (RX buffers, head write-back). */
export const DMA_WRITE = 2;
/** The device reads and writes it (descriptor rings: fetch and write-back). */
export const DMA_READ_WRITE = 3;

export interface DmaSpace {
  /**
   * Resolves a `len`-byte `access` (DMA_READ/DMA_WRITE bits) at device address
   * (lo | hi << 32). Returns the index of the window that holds all of it, or -1 when any byte
   * is unmapped or the window does not allow the access (a DMA fault). On success `offset`
   * holds the byte offset of the access inside that window. Never slow: no system calls.
   */
  resolve(lo: number, hi: number, len: number, access: number): number;
  /** Byte offset inside the window found by the last successful resolve(). */
  offset: number;
  /** Per window: a byte view of the local mapping. */
  readonly u8: Uint8Array[];
  /** Per window: a 32-bit view of the local mapping (descriptors are 16-byte aligned). */
  readonly u32: Uint32Array[];
  /** Per window: the native address of the local mapping's first byte (for copyMemory). */
  readonly address: number[];
  /** Changes whenever windows are added or removed, so cached window indexes can be dropped. */
  readonly generation: number;
  /**
   * Slow path, for spaces that discover memory instead of being told (sysfs mode): look for
   * memory mapped since the last look; true when windows were added. Called before an access
   * off the per-frame path (a descriptor ring) is declared a fault, never per frame.
   */
  refresh?(): boolean;
}
