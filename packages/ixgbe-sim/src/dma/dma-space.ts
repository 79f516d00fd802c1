/*
 * DmaSpace: how the model reaches host memory. The device sees addresses (IOVA over vfio-user,
 * physical addresses in sysfs mode); each is resolved to a window of memory mapped into this
 * process. resolve() is on the per-packet path, so it returns an index and leaves the offset in
 * a field instead of allocating a result object.
 */
export interface DmaSpace {
  /**
   * Resolves a `len`-byte access at device address (lo | hi << 32). Returns the index of the
   * window that holds all of it, or -1 when any byte is unmapped (a DMA fault).
   * On success `offset` holds the byte offset of the access inside that window.
   */
  resolve(lo: number, hi: number, len: number): number;
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
}
