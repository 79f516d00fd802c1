/* File descriptors: open, close, read/write (positional or not), truncate, flags, stat size. */

import { F_GETFL, F_SETFL, O_NONBLOCK, SEEK_SET } from "./constants.ts";
import { cstr } from "./cstring.ts";
import { Errno, lastErrno } from "./errno.ts";
import { check } from "./errors.ts";
import { libc } from "./libc.ts";

/** open(2). Throws SysError (ENOENT, EACCES, ...) with the path in the message. */
export function open(path: string, flags: number, mode = 0o600): number {
  return check("open", libc.open(cstr(path), flags, mode), path);
}

/** close(2). */
export function close(fd: number): void {
  check("close", libc.close(fd), String(fd));
}

/** dup(2): a second descriptor for the same open file. */
export function dup(fd: number): number {
  return check("dup", libc.dup(fd), String(fd));
}

/** read(2) into `buf`; returns the byte count (0 at end of file). */
export function read(fd: number, buf: ArrayBufferView, bytes = buf.byteLength): number {
  return check("read", libc.read(fd, buf as never, bytes));
}

/** write(2) from `buf`; returns the byte count. */
export function write(fd: number, buf: ArrayBufferView, bytes = buf.byteLength): number {
  return check("write", libc.write(fd, buf as never, bytes));
}

/** pread(2) at byte `offset`; returns the byte count. */
export function pread(fd: number, buf: ArrayBufferView, bytes: number, offset: number): number {
  return check("pread", libc.pread(fd, buf as never, bytes, offset));
}

/** pwrite(2) at byte `offset`; returns the byte count. */
export function pwrite(fd: number, buf: ArrayBufferView, bytes: number, offset: number): number {
  return check("pwrite", libc.pwrite(fd, buf as never, bytes, offset));
}

/** lseek(2) from the start of the file (SEEK_SET); returns the new offset. */
export function lseek(fd: number, offset: number): number {
  return check("lseek", libc.lseek(fd, offset, SEEK_SET), `${fd}, ${offset}`);
}

/** ftruncate(2): sets the file size (for a hugetlb memfd, a multiple of the page size). */
export function ftruncate(fd: number, bytes: number): void {
  check("ftruncate", libc.ftruncate(fd, bytes), `${fd}, ${bytes}`);
}

/** The size in bytes of an open file (fstat st_size). */
export function fileSize(fd: number): number {
  const st = new BigInt64Array(18); // struct stat is 144 bytes on x86-64
  check("fstat", libc.fstat(fd, st as never), String(fd));
  return Number(st[6]); // st_size at byte offset 48
}

/** unlink(2). */
export function unlink(path: string): void {
  check("unlink", libc.unlink(cstr(path)), path);
}

/** Sets or clears O_NONBLOCK on a descriptor. */
export function setNonBlocking(fd: number, on = true): void {
  const flags = check("fcntl", libc.fcntl(fd, F_GETFL, 0), "F_GETFL");
  check("fcntl", libc.fcntl(fd, F_SETFL, on ? flags | O_NONBLOCK : flags & ~O_NONBLOCK), "F_SETFL");
}

/** fcntl(2) with an integer argument. */
export function fcntl(fd: number, cmd: number, arg = 0): number {
  return check("fcntl", libc.fcntl(fd, cmd, arg), `${fd}, ${cmd}`);
}

/*
 * Hot-path variants: native addresses instead of views, and -errno instead of a throw, so a
 * non-blocking descriptor can report EAGAIN ("nothing now") once per poll without an exception.
 */

/** read(2) into native memory at `address`; returns the byte count, or -errno (e.g. -EAGAIN). */
export function readInto(fd: number, address: number, bytes: number): number {
  const n = Number(libc.read(fd, address as never, bytes));
  return n < 0 ? -lastErrno() : n;
}

/** write(2) from native memory at `address`; returns the byte count, or -errno. */
export function writeFrom(fd: number, address: number, bytes: number): number {
  const n = Number(libc.write(fd, address as never, bytes));
  return n < 0 ? -lastErrno() : n;
}

/**
 * readv(2) with `count` struct iovec entries at `iovAddress` (16 bytes each: base, length);
 * returns the byte count, or -errno.
 */
export function readvInto(fd: number, iovAddress: number, count: number): number {
  const n = Number(libc.readv(fd, iovAddress as never, count));
  return n < 0 ? -lastErrno() : n;
}

/** flock(2) operations. */
export const LOCK_SH = 1;
export const LOCK_EX = 2;
export const LOCK_NB = 4;
export const LOCK_UN = 8;

/**
 * flock(2): an advisory lock on the open file (held by the open file description: released by
 * LOCK_UN, by closing every descriptor of it, or when the holder dies). Non-blocking with
 * LOCK_NB: returns false when another holder has it (EWOULDBLOCK), true when taken.
 */
export function flock(fd: number, operation: number): boolean {
  if (libc.flock(fd, operation) === 0) return true;
  const e = lastErrno();
  if ((operation & LOCK_NB) !== 0 && e === Errno.EAGAIN /* = EWOULDBLOCK */) return false;
  check("flock", -1, String(fd)); // throws SysError with errno
  return false;
}
