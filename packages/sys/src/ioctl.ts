/* ioctl(2) with a struct (pointer) argument or an integer argument. */

import { check } from "./errors.ts";
import { libc, libcIntArg } from "./libc.ts";

/** ioctl with a pointer to `arg` (or NULL); returns the call's non-negative result. */
export function ioctl(
  fd: number,
  request: number,
  arg: ArrayBufferView | null,
  name?: string,
): number {
  return check("ioctl", libc.ioctl(fd, request, arg as never), name ?? `0x${request.toString(16)}`);
}

/** ioctl whose third argument is a plain integer (VFIO_SET_IOMMU, VFIO_CHECK_EXTENSION, ...). */
export function ioctlInt(fd: number, request: number, value: number, name?: string): number {
  return check("ioctl", libcIntArg.ioctl(fd, request, value), name ?? `0x${request.toString(16)}`);
}
