/*
 * Range copies between byte views without making subarrays. Typed-array .set() needs a whole
 * source view, and a subarray per frame would allocate; so wires copy ranges with memcpy on
 * native addresses. Taking an address (ptr) costs ~30 ns, so each side keeps a one-entry
 * cache: the model passes the same long-lived window views over and over.
 */
import { addressOf, copyMemory } from "@dataplane/sys";

/** Below this many bytes a JS loop beats an FFI memcpy (measured: memcpy ~30 ns + copy). */
const SMALL_COPY = 24;

/** One-entry cache of a view's native address. Holding the view keeps it (and the address) alive. */
export class AddressCache {
  private view: Uint8Array | null = null;
  private base = 0;

  /** The native address of view[0]. */
  of(view: Uint8Array): number {
    if (view !== this.view) {
      this.view = view;
      this.base = addressOf(view);
    }
    return this.base;
  }

  /** Drops the cached view so it can be collected. */
  clear(): void {
    this.view = null;
    this.base = 0;
  }
}

/** Copies `len` bytes src[srcOff..] -> dst[dstOff..]; callers have checked both bounds. */
export class RangeCopier {
  private readonly src = new AddressCache();
  private readonly dst = new AddressCache();

  copy(dst: Uint8Array, dstOff: number, src: Uint8Array, srcOff: number, len: number): void {
    if (len < SMALL_COPY) {
      for (let i = 0; i < len; i++) dst[dstOff + i] = src[srcOff + i] as number;
      return;
    }
    copyMemory(this.dst.of(dst) + dstOff, this.src.of(src) + srcOff, len);
  }

  /** Native address of dst[dstOff] (for read(2)/readv(2) straight into a host buffer). */
  dstAddress(dst: Uint8Array, dstOff: number): number {
    return this.dst.of(dst) + dstOff;
  }

  /** Native address of src[srcOff] (for write(2) straight from a host buffer). */
  srcAddress(src: Uint8Array, srcOff: number): number {
    return this.src.of(src) + srcOff;
  }

  clear(): void {
    this.src.clear();
    this.dst.clear();
  }
}
