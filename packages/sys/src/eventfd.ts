/* eventfd(2): the counter the kernel and vfio-user use to deliver interrupts. */

import { EFD_CLOEXEC } from "./constants.ts";
import { Errno, lastErrno } from "./errno.ts";
import { check, SysError } from "./errors.ts";
import { libc } from "./libc.ts";

/** A new eventfd with initial value `initial` (close-on-exec; add EFD_NONBLOCK to poll it). */
export function eventfd(initial = 0, flags = 0): number {
  return check("eventfd", libc.eventfd(initial, flags | EFD_CLOEXEC));
}

const counter = new BigUint64Array(1);

/** Reads and resets the counter; returns 0 when a non-blocking eventfd has nothing. */
export function eventfdRead(fd: number): number {
  const n = Number(libc.read(fd, counter as never, 8));
  if (n < 0) {
    const errno = lastErrno();
    if (errno === Errno.EAGAIN) return 0;
    throw new SysError("read", errno, `eventfd ${fd}`);
  }
  return Number(counter[0]);
}

const increment = new BigUint64Array(1);

/** Adds `value` to the counter, waking any poller. */
export function eventfdWrite(fd: number, value = 1): void {
  increment[0] = BigInt(value);
  check("write", libc.write(fd, increment as never, 8), `eventfd ${fd}`);
}
