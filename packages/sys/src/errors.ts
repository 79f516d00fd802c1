/* SysError: a failed libc call, with the call's name, the errno value and its name. */
import { errnoName, lastErrno, strerror } from "./errno.ts";

/** A libc call failed. `code` is the errno name (ENOMEM, EPERM, ...), `errno` its number. */
export class SysError extends Error {
  readonly call: string;
  readonly errno: number;
  readonly code: string;

  constructor(call: string, errno: number, detail?: string) {
    const code = errnoName(errno);
    const what = detail ? `${call}(${detail})` : call;
    super(`${what} failed: ${code} (${strerror(errno)})`);
    this.name = "SysError";
    this.call = call;
    this.errno = errno;
    this.code = code;
  }
}

/** Throws a SysError built from errno when `result` is negative; returns `result` otherwise. */
export function check(call: string, result: number | bigint, detail?: string): number {
  // i64_fast returns are typed number | bigint; user-space sizes and addresses fit in 2^53.
  const value = Number(result);
  if (value < 0) throw new SysError(call, lastErrno(), detail);
  return value;
}
