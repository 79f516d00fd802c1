/*
 * Small readers for sysfs attribute files and links. Attributes are tiny text files; a
 * missing one is normal (sysfs-style device directories carry only a few), so readers
 * return null for "absent" and throw PciError for any other failure.
 */
import { existsSync, readFileSync, readlinkSync, statSync } from "node:fs";
import { basename } from "node:path";
import { fileError } from "./errors.ts";

function isMissing(e: unknown): boolean {
  const code = (e as { code?: unknown } | null)?.code;
  return code === "ENOENT" || code === "ENOTDIR";
}

/** The trimmed text of an attribute file, or null when it does not exist. */
export function readAttr(path: string): string | null {
  try {
    return readFileSync(path, "latin1").trim();
  } catch (e) {
    if (isMissing(e)) return null;
    throw fileError("reading", path, e);
  }
}

/** A numeric attribute such as `vendor` ("0x8086") or `numa_node` ("-1"); null if absent or garbled. */
export function readNumberAttr(path: string): number | null {
  const text = readAttr(path);
  if (text === null || text.length === 0) return null;
  const value = text.startsWith("0x") ? Number.parseInt(text.slice(2), 16) : Number(text);
  return Number.isFinite(value) ? value : null;
}

/** The last path component of a symlink's target (driver, iommu_group), or null if absent. */
export function linkBasename(path: string): string | null {
  try {
    return basename(readlinkSync(path));
  } catch (e) {
    if (isMissing(e) || (e as { code?: unknown }).code === "EINVAL") return null;
    throw fileError("reading link", path, e);
  }
}

/** The size in bytes of a file, or null when it does not exist. */
export function fileBytes(path: string): number | null {
  try {
    return statSync(path).size;
  } catch (e) {
    if (isMissing(e)) return null;
    throw fileError("stat of", path, e);
  }
}

/** True when `path` exists (follows links). */
export const exists = (path: string): boolean => existsSync(path);
