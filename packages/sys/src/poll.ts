/* poll(2), with a reusable pollfd array so waiting in a loop allocates nothing. */

import { Errno, lastErrno } from "./errno.ts";
import { SysError } from "./errors.ts";
import { libc } from "./libc.ts";

/** A fixed set of descriptors to wait on. Build once, call wait() as often as needed. */
export class PollSet {
  private readonly raw: Uint8Array;
  private readonly words: Int32Array;
  private readonly halves: Int16Array;

  constructor(
    readonly fds: readonly number[],
    events: number,
  ) {
    this.raw = new Uint8Array(8 * fds.length); // struct pollfd { int fd; short events, revents; }
    this.words = new Int32Array(this.raw.buffer);
    this.halves = new Int16Array(this.raw.buffer);
    fds.forEach((fd, i) => {
      this.words[2 * i] = fd;
      this.halves[4 * i + 2] = events;
    });
  }

  /** Waits up to `timeoutMs` (-1 forever); returns how many fds are ready. EINTR counts as 0. */
  wait(timeoutMs: number): number {
    const n = libc.poll(this.raw as never, this.fds.length, timeoutMs);
    if (n < 0) {
      const errno = lastErrno();
      if (errno === Errno.EINTR) return 0;
      throw new SysError("poll", errno);
    }
    return n;
  }

  /** The revents of the i-th descriptor after the last wait(). */
  revents(i: number): number {
    return this.halves[4 * i + 3] as number;
  }
}

/** Waits for one descriptor; returns its revents (0 on timeout). */
export function pollOne(fd: number, events: number, timeoutMs: number): number {
  const set = new PollSet([fd], events);
  return set.wait(timeoutMs) > 0 ? set.revents(0) : 0;
}
