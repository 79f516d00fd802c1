/* eventfd(2): the counter the kernel and vfio-user use to deliver interrupts. */

import { EFD_CLOEXEC } from "./constants.ts";
import { Errno, lastErrno } from "./errno.ts";
import { check, SysError } from "./errors.ts";
import { libc } from "./libc.ts";

/** A new eventfd with initial value `initial` (close-on-exec; add EFD_NONBLOCK to poll it). */
export function eventfd(initial = 0, flags = 0): number {
  return check("eventfd", libc.eventfd(initial, flags | EFD_CLOEXEC));
}

// The 8-byte counter as two u32 halves (low word first), so no BigInt is ever made: interrupt
// paths call these often and must not allocate.
const TWO_32 = 4294967296;
const counter = new Uint32Array(2);
const increment = new Uint32Array(2);

/** Reads and resets the counter; returns 0 when a non-blocking eventfd has nothing. */
export function eventfdRead(fd: number): number {
  const n = Number(libc.read(fd, counter as never, 8));
  if (n < 0) {
    const errno = lastErrno();
    if (errno === Errno.EAGAIN) return 0;
    throw new SysError("read", errno, `eventfd ${fd}`);
  }
  return (counter[1] as number) * TWO_32 + (counter[0] as number);
}

/** Adds `value` (an integer from 1 to 2^53 - 1) to the counter, waking any poller. */
export function eventfdWrite(fd: number, value = 1): void {
  increment[0] = value >>> 0;
  increment[1] = Math.floor(value / TWO_32);
  check("write", libc.write(fd, increment as never, 8), `eventfd ${fd}`);
}
