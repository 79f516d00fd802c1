/*
 * Raw addresses and typed-array views over memory that libc handed out (mmap).
 * Views are cheap to use and expensive to make (~240 ns): make them once at setup.
 */
import { ptr, toArrayBuffer } from "bun:ffi";
import { libc } from "./libc.ts";

/** An ArrayBuffer over `bytes` bytes of native memory at `address`. It does not own the memory. */
export function viewOf(address: number, bytes: number): ArrayBuffer {
  return toArrayBuffer(address as never, 0, bytes);
}

/** The native address of a typed array's first byte (plus `byteOffset`). */
export function addressOf(view: ArrayBufferView | ArrayBuffer, byteOffset = 0): number {
  return ptr(view as never, byteOffset) as number;
}

/**
 * Copies `bytes` bytes between native addresses (memcpy). One FFI call (~5 ns + the copy):
 * the way to move packet data between mappings without creating subarray views.
 */
export function copyMemory(dst: number, src: number, bytes: number): void {
  libc.memcpy(dst as never, src as never, bytes);
}

/** Fills `bytes` bytes at `address` with `value` (memset). */
export function fillMemory(address: number, value: number, bytes: number): void {
  libc.memset(address as never, value, bytes);
}
