/*
 * Where the blocks go. Each block starts at a multiple of `align`, and neither crosses a
 * `boundary` (the dma_pool "do not cross N bytes" rule, e.g. 4 KiB for many descriptor fetch
 * engines) nor a page of the memory: pages need not be physically adjacent, so a block that
 * straddled two would not be one DMA-able run.
 */
import { DmaPoolError } from "./errors.ts";

/** The constraints of a pool's blocks, in bytes. */
export interface BlockShape {
  readonly blockSize: number;
  /** Power of two; every block starts at a multiple of it. */
  readonly align: number;
  /** Power of two >= blockSize, or 0 for none: no block crosses a multiple of it. */
  readonly boundary: number;
}

const isPowerOfTwo = (n: number): boolean =>
  Number.isSafeInteger(n) && n > 0 && 2 ** Math.round(Math.log2(n)) === n;

/** Checks a shape against the memory's page size. Throws BAD_ARGUMENT saying which value and why. */
export function checkShape(shape: BlockShape, pageSize: number): void {
  const { blockSize, align, boundary } = shape;
  if (!Number.isSafeInteger(blockSize) || blockSize <= 0) {
    throw new DmaPoolError("BAD_ARGUMENT", `blockSize ${blockSize} is not a positive integer`);
  }
  if (!isPowerOfTwo(align)) {
    throw new DmaPoolError(
      "BAD_ARGUMENT",
      `align ${align} is not a power of two (1, 8, 64, 4096, ...)`,
    );
  }
  if (boundary !== 0 && (!isPowerOfTwo(boundary) || boundary < blockSize)) {
    throw new DmaPoolError(
      "BAD_ARGUMENT",
      `boundary ${boundary} must be 0 (none) or a power of two >= blockSize ${blockSize}`,
    );
  }
  if (blockSize > pageSize) {
    throw new DmaPoolError(
      "BAD_ARGUMENT",
      `blockSize ${blockSize} is larger than the memory's ${pageSize}-byte pages; a block must fit in one page (allocate a contiguous region for bigger DMA areas)`,
    );
  }
}

/**
 * Byte offsets of every block that fits in `bytes` of memory made of `pageSize`-byte pages, in
 * address order. The unit no block crosses is the smaller of the boundary and the page.
 */
export function blockOffsets(shape: BlockShape, bytes: number, pageSize: number): Float64Array {
  const { blockSize, align, boundary } = shape;
  const unit = boundary === 0 ? pageSize : Math.min(boundary, pageSize);
  if (align >= unit) {
    // Every aligned start is also a unit start, and a block fits in one unit.
    const n = bytes >= blockSize ? Math.floor((bytes - blockSize) / align) + 1 : 0;
    return Float64Array.from({ length: n }, (_, i) => i * align);
  }
  const stride = Math.ceil(blockSize / align) * align;
  const perUnit = Math.floor((unit - blockSize) / stride) + 1;
  const units = Math.floor(bytes / unit);
  const out = new Float64Array(units * perUnit);
  let k = 0;
  for (let u = 0; u < units; u++) {
    for (let j = 0; j < perUnit; j++) out[k++] = u * unit + j * stride;
  }
  return out;
}
