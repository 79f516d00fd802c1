/*
 * Raw addresses and typed-array views over memory that libc handed out (mmap).
 * Views are cheap to use and expensive to make (~240 ns): make them once at setup.
 */
import { ptr, toArrayBuffer } from "bun:ffi";

/** An ArrayBuffer over `bytes` bytes of native memory at `address`. It does not own the memory. */
export function viewOf(address: number, bytes: number): ArrayBuffer {
  return toArrayBuffer(address as never, 0, bytes);
}

/** The native address of a typed array's first byte (plus `byteOffset`). */
export function addressOf(view: ArrayBufferView | ArrayBuffer, byteOffset = 0): number {
  return ptr(view as never, byteOffset) as number;
}
