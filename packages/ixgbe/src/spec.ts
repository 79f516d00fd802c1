/*
 * Device specs: how a user names a NIC. Parsed once at open; the result picks the back-end.
 *   0000:03:00.0 / 03:00.0      a PCI function (kernel VFIO if usable, else sysfs)
 *   vfio-user:/path/to/socket   a device served over vfio-user
 *   sysfs:/path/to/dir          a sysfs-style directory (config, resource0), physical DMA
 */
import { IxgbeError } from "./errors.ts";

/** A parsed device spec. */
export type DeviceSpec =
  | { readonly kind: "pci"; readonly address: string }
  | { readonly kind: "vfio-user"; readonly socketPath: string }
  | { readonly kind: "sysfs"; readonly dir: string };

const PCI_FULL = /^([0-9a-f]{4}):([0-9a-f]{2}):([01][0-9a-f])\.([0-7])$/i;
const PCI_SHORT = /^([0-9a-f]{2}):([01][0-9a-f])\.([0-7])$/i;

/** Parses a device spec. Throws IxgbeError BAD_SPEC naming the accepted forms. */
export function parseSpec(spec: string): DeviceSpec {
  const text = spec.trim();
  for (const kind of ["vfio-user", "sysfs"] as const) {
    const prefix = `${kind}:`;
    if (!text.startsWith(prefix)) continue;
    const path = text.slice(prefix.length);
    if (path.length === 0) {
      throw new IxgbeError("BAD_SPEC", `device spec "${spec}" has no path after "${prefix}"`);
    }
    return kind === "sysfs" ? { kind, dir: path } : { kind, socketPath: path };
  }
  if (PCI_FULL.test(text)) return { kind: "pci", address: text.toLowerCase() };
  if (PCI_SHORT.test(text)) return { kind: "pci", address: `0000:${text.toLowerCase()}` };
  throw new IxgbeError(
    "BAD_SPEC",
    `device spec "${spec}" is not one of: a PCI address (0000:03:00.0), ` +
      "vfio-user:/path/to/socket, sysfs:/path/to/device-dir",
  );
}
