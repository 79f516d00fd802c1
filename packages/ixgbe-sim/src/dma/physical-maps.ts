/*
 * Finding a client's hugepage memory: /proc/<pid>/smaps lists every mapping with its kernel
 * page size, which tells hugetlb memory (memfd MFD_HUGETLB, hugetlbfs files, anonymous
 * MAP_HUGETLB: all show KernelPageSize 2048 kB or 1048576 kB) from ordinary memory whatever
 * its name. Only shared mappings qualify: a private hugetlb mapping's written pages are the
 * client's own copies, which a second mapping of the same file would not see.
 */
import { readFileSync } from "node:fs";

/** One shared hugepage mapping of the client. Addresses are the client's virtual addresses. */
export interface ClientMapping {
  start: number;
  end: number;
  /** Offset of `start` in the mapped file (map_files opens the file, so we map at this offset). */
  fileOffset: number;
  pageSize: number;
  /** Path as shown in maps, e.g. "/memfd:pool (deleted)", "/anon_hugepage (deleted)". */
  path: string;
  /** Identity across rescans: range, offset, device and inode. */
  key: string;
}

const HEADER = /^([0-9a-f]+)-([0-9a-f]+) (\S{4}) ([0-9a-f]+) (\S+) (\d+)\s*(.*)$/;

/** Parses smaps text into the shared mappings whose kernel page size exceeds 4 KiB. */
export function parseHugeMappings(smaps: string): ClientMapping[] {
  const out: ClientMapping[] = [];
  let current: (ClientMapping & { shared: boolean }) | null = null;
  for (const line of smaps.split("\n")) {
    const h = HEADER.exec(line);
    if (h !== null) {
      const [, start, end, perms, offset, dev, inode, path] = h as unknown as string[];
      current = {
        start: Number.parseInt(start as string, 16),
        end: Number.parseInt(end as string, 16),
        fileOffset: Number.parseInt(offset as string, 16),
        pageSize: 0,
        path: path ?? "",
        key: mappingKey(
          start as string,
          end as string,
          offset as string,
          dev as string,
          inode as string,
        ),
        shared: (perms as string)[3] === "s",
      };
      continue;
    }
    if (current !== null && line.startsWith("KernelPageSize:")) {
      current.pageSize = Number.parseInt(line.slice(15), 10) * 1024;
      if (current.shared && current.pageSize > 4096) {
        const { shared: _, ...mapping } = current;
        out.push(mapping);
      }
      current = null;
    }
  }
  return out;
}

/**
 * Identities (the `key` of ClientMapping) of every shared mapping in /proc/<pid>/maps: cheap
 * to read (no page-table walk, unlike smaps), so it tells when a rescan is worth it. Null when
 * the process is gone.
 */
export function sharedMappingKeys(pid: number): string[] | null {
  const text = readProc(pid, "maps");
  if (text === null) return null;
  const keys: string[] = [];
  for (const line of text.split("\n")) {
    const h = HEADER.exec(line);
    if (h === null || (h[3] as string)[3] !== "s") continue;
    keys.push(
      mappingKey(h[1] as string, h[2] as string, h[4] as string, h[5] as string, h[6] as string),
    );
  }
  return keys;
}

/** A mapping's identity across looks: range, file offset, device and inode. */
function mappingKey(
  start: string,
  end: string,
  offset: string,
  dev: string,
  inode: string,
): string {
  return `${start}-${end}@${offset}:${dev}:${inode}`;
}

/** Reads /proc/<pid>/smaps; null when the process is gone. */
export function readClientMappings(pid: number): ClientMapping[] | null {
  const text = readProc(pid, "smaps");
  return text === null ? null : parseHugeMappings(text);
}

/** /proc/<pid>/<file> as text; null when the process is gone. */
function readProc(pid: number, file: string): string | null {
  try {
    return readFileSync(`/proc/${pid}/${file}`, "utf8");
  } catch (e) {
    const code = (e as { code?: string }).code;
    if (code === "ENOENT" || code === "ESRCH") return null;
    throw e;
  }
}
