/*
 * The owner's shared hugepage mappings, from /proc/<pid>/smaps: every range whose kernel page
 * size is above 4 KiB and that is mapped shared (a private mapping's written pages are copies
 * the device never sees). The guardian opens each through /proc/<pid>/map_files (root).
 */
import { readFileSync } from "node:fs";

/** One mapping: its range in the owner, as named under /proc/<pid>/map_files. */
export interface HugeMapping {
  readonly range: string;
  readonly bytes: number;
}

/** The shared hugepage mappings listed in smaps text. */
export function hugeMappings(smaps: string): HugeMapping[] {
  const found: HugeMapping[] = [];
  let range = "";
  let shared = false;
  for (const line of smaps.split("\n")) {
    const head = /^([0-9a-f]+)-([0-9a-f]+) \S\S\S(\S)/.exec(line);
    if (head !== null) {
      range = `${head[1]}-${head[2]}`;
      shared = head[3] === "s";
    } else if (
      line.startsWith("KernelPageSize:") &&
      shared &&
      Number.parseInt(line.slice(15), 10) > 4
    ) {
      const [start = "0", end = "0"] = range.split("-");
      found.push({ range, bytes: Number.parseInt(end, 16) - Number.parseInt(start, 16) });
    }
  }
  return found;
}

/** The shared hugepage mappings of process `pid`. */
export function processHugeMappings(pid: number): HugeMapping[] {
  return hugeMappings(readFileSync(`/proc/${pid}/smaps`, "utf8"));
}
