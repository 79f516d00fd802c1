/* Process and thread identity, CPU pinning. */

import { Errno, lastErrno } from "./errno.ts";
import { check, SysError } from "./errors.ts";
import { libc } from "./libc.ts";

/** getpid(2). */
export const getpid = (): number => libc.getpid();
/** gettid(2): the calling thread's id (differs from getpid in a Worker). */
export const gettid = (): number => libc.gettid();
/** geteuid(2). */
export const geteuid = (): number => libc.geteuid();
/** The CPU this thread is running on right now. */
export const currentCpu = (): number => libc.sched_getcpu();

/**
 * Pins the calling thread (or `tid`) to the given CPUs with sched_setaffinity. Throws SysError
 * (EINVAL for a CPU number outside 0..1023 or a set with no online CPU).
 */
export function pinThread(cpus: readonly number[], tid = 0): void {
  const mask = new Uint8Array(128); // cpu_set_t: 1024 bits
  for (const cpu of cpus) {
    if (!Number.isInteger(cpu) || cpu < 0 || cpu >= 1024) {
      const why = `CPU ${cpu} is not a valid CPU number (0..1023); pick from allowedCpus()`;
      throw new SysError("sched_setaffinity", Errno.EINVAL, why);
    }
    mask[cpu >> 3] = (mask[cpu >> 3] as number) | (1 << (cpu & 7));
  }
  check(
    "sched_setaffinity",
    libc.sched_setaffinity(tid, mask.length, mask as never),
    cpus.join(","),
  );
}

/** The CPUs the calling thread (or `tid`) may run on. */
export function allowedCpus(tid = 0): number[] {
  const mask = new Uint8Array(128);
  check("sched_getaffinity", libc.sched_getaffinity(tid, mask.length, mask as never));
  const cpus: number[] = [];
  for (let cpu = 0; cpu < 1024; cpu++)
    if ((mask[cpu >> 3] as number) & (1 << (cpu & 7))) cpus.push(cpu);
  return cpus;
}

// pidfd_open has the same number on every architecture (the unified syscall table, Linux 5.3).
const SYS_PIDFD_OPEN = 434;

/**
 * pidfd_open(2): a descriptor that polls readable (POLLIN) once process `pid` has exited, and
 * that keeps naming that process even if its pid is reused. Throws SysError (ESRCH: no such
 * process; ENOSYS: a kernel before 5.3).
 */
export function pidfdOpen(pid: number): number {
  const fd = Number(libc.syscall(SYS_PIDFD_OPEN, pid, 0));
  if (fd < 0) throw new SysError("pidfd_open", lastErrno(), String(pid));
  return fd;
}
