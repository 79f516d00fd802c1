/*
 * BARs and other resources of a PCI function. The kernel's `resource` file has one line
 * per resource, "start end flags" as 64-bit hex; sysfs-style directories may have only
 * resourceN files, whose size is then the BAR size.
 */
import { fileBytes, readAttr } from "./sysfs.ts";

// IORESOURCE_* bits of the `resource` file's flags column (include/linux/ioport.h).
/** I/O port space. */
export const IORESOURCE_IO = 0x100;
/** Memory space. */
export const IORESOURCE_MEM = 0x200;
/** Prefetchable memory. */
export const IORESOURCE_PREFETCH = 0x2000;
/** A 64-bit memory BAR. */
export const IORESOURCE_MEM_64 = 0x100000;

/** Number of standard BARs; resource index 6 is the expansion ROM. */
export const BAR_COUNT = 6;

/** One resource of a function: a BAR (index 0..5), the ROM (6), or a further window. */
export interface PciResource {
  readonly index: number;
  /** Bus/physical start address (0 when only a resourceN file was found). */
  readonly start: number;
  /** Size in bytes. */
  readonly size: number;
  /** Raw IORESOURCE_* flags (0 when unknown). */
  readonly flags: number;
  /** "mem", "io", or "unknown" when only a resourceN file said the resource exists. */
  readonly kind: "mem" | "io" | "unknown";
  readonly prefetchable: boolean;
  /** True when `resource<index>` exists, i.e. the BAR can be mmapped through sysfs. */
  readonly mappable: boolean;
}

const toNumber = (hex: string): number => Number(BigInt(hex));

/** Parses the text of a `resource` file; lines of zeros (unimplemented BARs) are skipped. */
export function parseResourceFile(
  text: string,
  mappable: (index: number) => boolean,
): PciResource[] {
  const out: PciResource[] = [];
  const lines = text.split("\n");
  for (let index = 0; index < lines.length; index++) {
    const cols = (lines[index] as string).trim().split(/\s+/);
    if (cols.length !== 3 || !cols.every((c) => /^0x[0-9a-f]+$/i.test(c))) continue;
    const [start, end, flags] = (cols as [string, string, string]).map(toNumber) as [
      number,
      number,
      number,
    ];
    if (start === 0 && end === 0) continue;
    out.push({
      index,
      start,
      size: end - start + 1,
      flags,
      kind: flags & IORESOURCE_IO ? "io" : flags & IORESOURCE_MEM ? "mem" : "unknown",
      prefetchable: (flags & IORESOURCE_PREFETCH) !== 0,
      mappable: mappable(index),
    });
  }
  return out;
}

/** The resources of the function in `dir`, from `resource` if present, else resourceN sizes. */
export function readResources(dir: string): PciResource[] {
  const hasFile = (index: number): boolean =>
    index < BAR_COUNT && fileBytes(`${dir}/resource${index}`) !== null;
  const text = readAttr(`${dir}/resource`);
  if (text !== null) return parseResourceFile(text, hasFile);
  const out: PciResource[] = [];
  for (let index = 0; index < BAR_COUNT; index++) {
    const size = fileBytes(`${dir}/resource${index}`);
    if (size === null || size === 0) continue;
    out.push({
      index,
      start: 0,
      size,
      flags: 0,
      kind: "unknown",
      prefetchable: false,
      mappable: true,
    });
  }
  return out;
}
