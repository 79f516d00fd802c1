/*
 * errno: read right after the failing call (same thread), named, and carried in SysError.
 * Values are the x86-64 Linux ones (checked by the gcc conformance test in @dataplane/vfio).
 */
import { read } from "bun:ffi";
import { libc } from "./libc.ts";

/** Linux errno numbers by name (the subset a driver stack meets). */
export const Errno = {
  EPERM: 1,
  ENOENT: 2,
  ESRCH: 3,
  EINTR: 4,
  EIO: 5,
  ENXIO: 6,
  E2BIG: 7,
  ENOEXEC: 8,
  EBADF: 9,
  ECHILD: 10,
  EAGAIN: 11,
  ENOMEM: 12,
  EACCES: 13,
  EFAULT: 14,
  EBUSY: 16,
  EEXIST: 17,
  EXDEV: 18,
  ENODEV: 19,
  ENOTDIR: 20,
  EISDIR: 21,
  EINVAL: 22,
  ENFILE: 23,
  EMFILE: 24,
  ENOTTY: 25,
  EFBIG: 27,
  ENOSPC: 28,
  ESPIPE: 29,
  EROFS: 30,
  EPIPE: 32,
  ERANGE: 34,
  EDEADLK: 35,
  ENAMETOOLONG: 36,
  ENOSYS: 38,
  ENOMSG: 42,
  EPROTO: 71,
  EBADMSG: 74,
  EOVERFLOW: 75,
  ENOTSOCK: 88,
  EMSGSIZE: 90,
  EPROTONOSUPPORT: 93,
  EOPNOTSUPP: 95,
  EADDRINUSE: 98,
  EADDRNOTAVAIL: 99,
  ENETDOWN: 100,
  ECONNABORTED: 103,
  ECONNRESET: 104,
  ENOBUFS: 105,
  EISCONN: 106,
  ENOTCONN: 107,
  ESHUTDOWN: 108,
  ETIMEDOUT: 110,
  ECONNREFUSED: 111,
  EHOSTUNREACH: 113,
  EALREADY: 114,
  EINPROGRESS: 115,
} as const;

/** An errno name this package knows ("ENOMEM", "EPERM", ...). */
export type ErrnoName = keyof typeof Errno;

const namesByNumber = new Map<number, string>(
  Object.entries(Errno).map(([name, value]) => [value, name]),
);

/** The symbolic name of an errno value, e.g. 12 → "ENOMEM"; unknown values become "E<n>". */
export function errnoName(errno: number): string {
  return namesByNumber.get(errno) ?? `E${errno}`;
}

/** The current thread's errno. Call it immediately after the failing libc call. */
export function lastErrno(): number {
  const where = libc.__errno_location();
  return where === null ? 0 : read.i32(where, 0);
}

/** libc's description of an errno value, e.g. "Cannot allocate memory". */
export function strerror(errno: number): string {
  return String(libc.strerror(errno));
}
