/*
 * Frame copies on the datapath. A memcpy through FFI costs ~14 ns per call here, more than a
 * 64-byte frame takes to copy in a Uint32Array loop, so short 4-byte-aligned copies stay in JS
 * and only long or unaligned ones go to copyMemory.
 */
import { copyMemory } from "@dataplane/sys";

/** Copies at most this many bytes with the JS word loop. */
export const SHORT_COPY_BYTES = 256;

/**
 * Copies `len` bytes from src[srcOff..] to dst[dstOff..]. Each side is given as byte and word
 * views of one mapping plus that mapping's native address (for the memcpy path).
 */
export function copyFrame(
  dst8: Uint8Array,
  dst32: Uint32Array,
  dstAddr: number,
  dstOff: number,
  src8: Uint8Array,
  src32: Uint32Array,
  srcAddr: number,
  srcOff: number,
  len: number,
): void {
  if (len <= SHORT_COPY_BYTES && ((dstOff | srcOff) & 3) === 0) {
    let d = dstOff >>> 2;
    let s = srcOff >>> 2;
    const end = s + (len >>> 2);
    // `| 0`: a Uint32Array load of a value >= 2^31 is a double to JSC unless used as int32;
    // frames are full of such words, and the double path deoptimizes the loop over and over.
    while (s < end) dst32[d++] = src32[s++] | 0;
    for (let i = len & ~3; i < len; i++) dst8[dstOff + i] = src8[srcOff + i];
    return;
  }
  copyMemory(dstAddr + dstOff, srcAddr + srcOff, len);
}

/** A zeroed byte view and word view over one fresh ArrayBuffer (its address never moves). */
export function buffers(bytes: number): { u8: Uint8Array; u32: Uint32Array } {
  const ab = new ArrayBuffer((bytes + 3) & ~3);
  return { u8: new Uint8Array(ab), u32: new Uint32Array(ab) };
}
