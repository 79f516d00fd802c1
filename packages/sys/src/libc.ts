/*
 * The libc symbol table: the only dlopen in the project. Data only; the wrappers that turn
 * -1/errno into a SysError live in files by area (fd.ts, mman.ts, socket.ts, ...).
 * Returns that may be 64-bit use i64_fast so they arrive as numbers, never BigInt.
 */
import { dlopen, FFIType as T } from "bun:ffi";

// "libc.so" is a GNU ld script on Debian; the real shared object is libc.so.6.
const LIBC = "libc.so.6";

export const libc = dlopen(LIBC, {
  __errno_location: { args: [], returns: T.ptr },
  strerror: { args: [T.i32], returns: T.cstring },
  getpid: { args: [], returns: T.i32 },
  // syscall(2) for calls glibc has no wrapper for in every version (pidfd_open).
  syscall: { args: [T.i64, T.i64, T.i64], returns: T.i64_fast },
  gettid: { args: [], returns: T.i32 },
  getuid: { args: [], returns: T.u32 },
  geteuid: { args: [], returns: T.u32 },
  sched_getcpu: { args: [], returns: T.i32 },
  sched_setaffinity: { args: [T.i32, T.u64, T.ptr], returns: T.i32 },
  sched_getaffinity: { args: [T.i32, T.u64, T.ptr], returns: T.i32 },
  open: { args: [T.ptr, T.i32, T.u32], returns: T.i32 },
  close: { args: [T.i32], returns: T.i32 },
  dup: { args: [T.i32], returns: T.i32 },
  read: { args: [T.i32, T.ptr, T.u64], returns: T.i64_fast },
  readv: { args: [T.i32, T.ptr, T.i32], returns: T.i64_fast },
  write: { args: [T.i32, T.ptr, T.u64], returns: T.i64_fast },
  pread: { args: [T.i32, T.ptr, T.u64, T.i64], returns: T.i64_fast },
  pwrite: { args: [T.i32, T.ptr, T.u64, T.i64], returns: T.i64_fast },
  lseek: { args: [T.i32, T.i64, T.i32], returns: T.i64_fast },
  ftruncate: { args: [T.i32, T.i64], returns: T.i32 },
  fstat: { args: [T.i32, T.ptr], returns: T.i32 },
  unlink: { args: [T.ptr], returns: T.i32 },
  fcntl: { args: [T.i32, T.i32, T.i64], returns: T.i32 },
  flock: { args: [T.i32, T.i32], returns: T.i32 },
  mmap: { args: [T.ptr, T.u64, T.i32, T.i32, T.i32, T.i64], returns: T.i64_fast },
  munmap: { args: [T.ptr, T.u64], returns: T.i32 },
  mremap: { args: [T.ptr, T.u64, T.u64, T.i32, T.ptr], returns: T.i64_fast },
  mlock: { args: [T.ptr, T.u64], returns: T.i32 },
  munlock: { args: [T.ptr, T.u64], returns: T.i32 },
  madvise: { args: [T.ptr, T.u64, T.i32], returns: T.i32 },
  msync: { args: [T.ptr, T.u64, T.i32], returns: T.i32 },
  memfd_create: { args: [T.ptr, T.u32], returns: T.i32 },
  ioctl: { args: [T.i32, T.u64, T.ptr], returns: T.i32 },
  eventfd: { args: [T.u32, T.i32], returns: T.i32 },
  poll: { args: [T.ptr, T.u64, T.i32], returns: T.i32 },
  socket: { args: [T.i32, T.i32, T.i32], returns: T.i32 },
  socketpair: { args: [T.i32, T.i32, T.i32, T.ptr], returns: T.i32 },
  bind: { args: [T.i32, T.ptr, T.u32], returns: T.i32 },
  listen: { args: [T.i32, T.i32], returns: T.i32 },
  accept4: { args: [T.i32, T.ptr, T.ptr, T.i32], returns: T.i32 },
  connect: { args: [T.i32, T.ptr, T.u32], returns: T.i32 },
  shutdown: { args: [T.i32, T.i32], returns: T.i32 },
  setsockopt: { args: [T.i32, T.i32, T.i32, T.ptr, T.u32], returns: T.i32 },
  sendmsg: { args: [T.i32, T.ptr, T.i32], returns: T.i64_fast },
  recvmsg: { args: [T.i32, T.ptr, T.i32], returns: T.i64_fast },
  memcpy: { args: [T.ptr, T.ptr, T.u64], returns: T.ptr },
  memset: { args: [T.ptr, T.i32, T.u64], returns: T.ptr },
  unshare: { args: [T.i32], returns: T.i32 },
  mount: { args: [T.ptr, T.ptr, T.ptr, T.u64, T.ptr], returns: T.i32 },
  umount2: { args: [T.ptr, T.i32], returns: T.i32 },
}).symbols;

/** ioctl with an integer third argument (VFIO_SET_IOMMU, VFIO_CHECK_EXTENSION, ...). */
export const libcIntArg = dlopen(LIBC, {
  ioctl: { args: [T.i32, T.u64, T.u64], returns: T.i32 },
}).symbols;
