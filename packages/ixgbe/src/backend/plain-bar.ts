/*
 * Which BAR files read as plain memory. A sysfs `resourceN` (under /sys) reaches the device:
 * reads there have the registers' side effects, statistics clear on read. A BAR file anywhere
 * else is an ordinary shared file (a device model's directory, such as ixgbe-sim's sysfs
 * mode): a read is a load that no device logic sees, so the model keeps its counters running
 * there and the driver must difference them (Backend.plainRead), exactly as over vfio-user's
 * mapped areas. Without this, every readStats() after the first would count the totals again.
 */
import { realpathSync } from "node:fs";
import type { Backend } from "./types.ts";

/** True when `path` (a resourceN file) resolves to a place outside sysfs. */
export function isPlainFile(path: string): boolean {
  let real: string;
  try {
    real = realpathSync(path);
  } catch {
    return false; // not resolvable: assume a device, the safe reading (sums)
  }
  return !real.startsWith("/sys/");
}

/** The back-end, with every BAR0 word reported as plain memory when resource0 is a plain file. */
export function withPlainBar(backend: Backend, resource0: string): Backend {
  if (!isPlainFile(resource0)) return backend;
  return { ...backend, plainRead: () => true };
}
