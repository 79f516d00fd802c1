/*
 * Descriptor ring memory: one DMA block holds every ring of a device. Rings are placed largest
 * first so each starts at a multiple of its own (power-of-two) size: 128-byte aligned as the
 * datasheet requires, and never straddling a hugepage, hence physically contiguous.
 */
import type { DmaBlock } from "./backend/types.ts";
import { IxgbeError } from "./errors.ts";
import { DESC_BYTES } from "./regs/descriptors.ts";

/** One ring inside the block. */
export interface RingSlice {
  /** The ring's descriptors as u32 words (4 per descriptor). */
  readonly words: Uint32Array;
  /** Device address of descriptor 0. */
  readonly deviceAddress: number;
  /** Length in bytes (RDLEN/TDLEN). */
  readonly bytes: number;
}

/** Bytes a set of rings needs. */
export const ringBytes = (sizes: readonly number[]): number =>
  sizes.reduce((sum, n) => sum + n * DESC_BYTES, 0);

/** Carves `sizes` (descriptor counts, powers of two) out of `block`, zeroed. Same order back. */
export function carveRings(block: DmaBlock, sizes: readonly number[]): RingSlice[] {
  const order = sizes.map((n, i) => ({ n, i })).sort((a, b) => b.n - a.n);
  const out: RingSlice[] = new Array(sizes.length);
  let offset = 0;
  for (const { n, i } of order) {
    const bytes = n * DESC_BYTES;
    if (offset + bytes > block.bytes) {
      throw new IxgbeError("NO_MEMORY", `ring block of ${block.bytes} bytes is too small`);
    }
    const words = new Uint32Array(block.u8.buffer, block.u8.byteOffset + offset, bytes >>> 2);
    words.fill(0);
    const deviceAddress = block.deviceAddress(offset);
    if (
      block.dma.kind === "physical" &&
      block.deviceAddress(offset + bytes - 1) - deviceAddress !== bytes - 1
    ) {
      throw new IxgbeError(
        "NO_MEMORY",
        `ring memory at offset ${offset} is not physically contiguous; hugepages are required`,
      );
    }
    out[i] = { words, deviceAddress, bytes };
    offset += bytes;
  }
  return out;
}
