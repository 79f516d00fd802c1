/*
 * One driver per device over sysfs. Kernel VFIO refuses a second open of a group; sysfs and a
 * model's sysfs-style directory do not, and two drivers programming the same rings corrupt each
 * other's DMA. So the sysfs back-end holds an exclusive flock(2) on the device's resource0 for
 * as long as the device is open: a second opener is refused, naming the holder, and the lock
 * goes with its holder's last descriptor (close or death), so a crash never leaves it stale.
 */
import { readFileSync, statSync } from "node:fs";
import { close, constants, flock, LOCK_EX, LOCK_NB, open } from "@dataplane/sys";
import { IxgbeError } from "../errors.ts";

/** The lock; release() is idempotent. */
export interface DeviceLock {
  release(): void;
}

/** Pid (and command name) of whoever holds a flock on `path`, from /proc/locks; null if unknown. */
function lockHolder(path: string): string | null {
  let inode: number;
  try {
    inode = statSync(path).ino;
  } catch {
    return null;
  }
  let locks = "";
  try {
    locks = readFileSync("/proc/locks", "utf8");
  } catch {
    return null;
  }
  for (const line of locks.split("\n")) {
    // "3: FLOCK  ADVISORY  WRITE 1234 00:1a:5678 0 EOF" (blocked waiters are marked "->")
    const f = line.trim().split(/\s+/);
    if (f[1] !== "FLOCK" || f.includes("->")) continue;
    const id = f[5]?.split(":")[2];
    if (id === undefined || Number(id) !== inode) continue;
    const pid = Number(f[4]);
    let comm = "";
    try {
      comm = readFileSync(`/proc/${pid}/comm`, "utf8").trim();
    } catch {
      // it may be in another pid namespace, or just gone
    }
    return comm === "" ? `process ${pid}` : `process ${pid} (${comm})`;
  }
  return null;
}

/** Takes the device's lock or throws DEVICE_BUSY naming the holder. */
export function lockDevice(resource0: string, name: string): DeviceLock {
  let fd: number;
  try {
    fd = open(resource0, constants.O_RDONLY | constants.O_CLOEXEC);
  } catch (cause) {
    throw new IxgbeError(
      "DEVICE_FAULT",
      `cannot open ${resource0} to lock ${name}: ${(cause as Error).message}; this needs root`,
      { cause },
    );
  }
  let taken = false;
  try {
    taken = flock(fd, LOCK_EX | LOCK_NB);
  } finally {
    if (!taken) close(fd);
  }
  if (!taken) {
    const holder = lockHolder(resource0) ?? "another process";
    throw new IxgbeError(
      "DEVICE_BUSY",
      `device ${name} is in use by ${holder}; stop it or choose another device`,
    );
  }
  let held = true;
  return {
    release() {
      if (!held) return;
      held = false;
      close(fd); // the lock goes with the last descriptor of this open file
    },
  };
}
