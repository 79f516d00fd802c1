/*
 * PCI addresses (domain:bus:device.function) and device specs. Parsing is setup-time
 * input validation: everything a user types goes through here before touching sysfs.
 */
import { PciError } from "./errors.ts";

const FULL = /^([0-9a-f]{4,8}):([0-9a-f]{2}):([0-9a-f]{2})\.([0-7])$/i;
const SHORT = /^([0-9a-f]{2}):([0-9a-f]{2})\.([0-7])$/i;

/** Default sysfs directory holding one entry per PCI function. */
export const DEFAULT_SYSFS_ROOT = "/sys/bus/pci/devices";

/**
 * Normalizes a PCI address to the sysfs form `0000:03:00.0` (lower case, domain included).
 * Returns null when `text` is not an address (device number above 0x1f included).
 */
export function normalizeAddress(text: string): string | null {
  const full = FULL.exec(text);
  const parts = full ? full.slice(1) : SHORT.exec(text)?.slice(1);
  if (!parts) return null;
  const [domain, bus, device, fn] = full ? parts : ["0000", ...parts];
  if (Number.parseInt(device as string, 16) > 0x1f) return null;
  return `${domain}:${bus}:${device}.${fn}`.toLowerCase();
}

/** Where a device spec points: a directory, plus the PCI address if the spec gave one. */
export interface ResolvedSpec {
  readonly dir: string;
  readonly address: string | null;
}

/**
 * Resolves `sysfs:/path/dir` to that directory, or a PCI address to `<root>/<address>`.
 * Throws PciError BAD_SPEC for anything else (vfio-user: specs belong to @dataplane/vfio).
 */
export function resolveSpec(spec: string, root = DEFAULT_SYSFS_ROOT): ResolvedSpec {
  if (spec.startsWith("sysfs:")) {
    const dir = spec.slice("sysfs:".length);
    if (dir.length === 0) {
      throw new PciError("BAD_SPEC", `device spec "${spec}" has no directory after "sysfs:"`);
    }
    return { dir, address: null };
  }
  const address = normalizeAddress(spec);
  if (address === null) {
    throw new PciError(
      "BAD_SPEC",
      `device spec "${spec}" is neither a PCI address (0000:03:00.0) nor sysfs:/path/to/dir`,
    );
  }
  return { dir: `${root}/${address}`, address };
}
