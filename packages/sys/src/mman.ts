/* Memory mappings: mmap/munmap/mremap, mlock, madvise, memfd_create. */

import { cstr } from "./cstring.ts";
import { lastErrno } from "./errno.ts";
import { check, SysError } from "./errors.ts";
import { libc } from "./libc.ts";

/**
 * mmap(2). Returns the mapping's address as a number. `hint` is the address to ask for
 * (0 lets the kernel choose; with MAP_FIXED it is mandatory).
 */
export function mmap(
  bytes: number,
  prot: number,
  flags: number,
  fd = -1,
  offset = 0,
  hint = 0,
): number {
  const address = Number(
    libc.mmap(hint === 0 ? null : (hint as never), bytes, prot, flags, fd, offset),
  );
  if (address === -1) {
    throw new SysError("mmap", lastErrno(), `${bytes} bytes, flags 0x${flags.toString(16)}`);
  }
  return address;
}

/** munmap(2). */
export function munmap(address: number, bytes: number): void {
  check("munmap", libc.munmap(address as never, bytes), `0x${address.toString(16)}, ${bytes}`);
}

/** mremap(2); with MREMAP_FIXED|MREMAP_MAYMOVE moves the pages to `newAddress`. */
export function mremap(
  address: number,
  oldBytes: number,
  newBytes: number,
  flags: number,
  newAddress = 0,
): number {
  const result = Number(
    libc.mremap(
      address as never,
      oldBytes,
      newBytes,
      flags,
      newAddress === 0 ? null : (newAddress as never),
    ),
  );
  if (result === -1) throw new SysError("mremap", lastErrno(), `0x${address.toString(16)}`);
  return result;
}

/** mlock(2): pins the range in RAM. */
export function mlock(address: number, bytes: number): void {
  check("mlock", libc.mlock(address as never, bytes), `${bytes} bytes`);
}

/** munlock(2). */
export function munlock(address: number, bytes: number): void {
  check("munlock", libc.munlock(address as never, bytes), `${bytes} bytes`);
}

/** madvise(2). */
export function madvise(address: number, bytes: number, advice: number): void {
  check("madvise", libc.madvise(address as never, bytes, advice), `advice ${advice}`);
}

/** memfd_create(2): an anonymous file, optionally hugetlb-backed (MFD_HUGETLB | MFD_HUGE_*). */
export function memfdCreate(name: string, flags: number): number {
  return check("memfd_create", libc.memfd_create(cstr(name), flags), name);
}
