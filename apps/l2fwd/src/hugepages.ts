/*
 * The hugepage precheck: how many 2 MiB pages a run needs (rings and pools, as the driver
 * allocates them), how many the kernel has free (/sys/kernel/mm/hugepages), and what to do
 * when that is too few: reserve the difference when root (and give it back at exit), else say
 * exactly what to run.
 * The kernel is reached through @dataplane/hugemem; a sysfs-shaped directory or a stand-in
 * can take its place (tests).
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { reserve, status } from "@dataplane/hugemem";
import { L2fwdError } from "./errors.ts";

/** Page size the forwarder's memory uses. */
export const HUGEPAGE_BYTES = 2 << 20;
/** Bytes per packet buffer (the mempool default). */
export const BUFFER_BYTES = 2048;
/** Bytes per advanced RX/TX descriptor on the 82599. */
export const DESCRIPTOR_BYTES = 16;
/** Where the kernel publishes its hugepage pools. */
export const SYSFS_HUGEPAGES = "/sys/kernel/mm/hugepages";

/** What a run needs, and how that number came about. */
export interface HugepageNeed {
  readonly pages: number;
  readonly ports: number;
  readonly queues: number;
  /** Buffers in each RX queue's pool: its RX ring, the peer's TX ring it feeds, one batch. */
  readonly buffersPerPool: number;
  readonly pagesPerPool: number;
  /**
   * Buffers in each TX queue's own pool: the driver makes one per TX queue although l2fwd's
   * TX queues free into the peer's RX pools, so it is kept at the smallest size it allows.
   */
  readonly txBuffersPerPool: number;
  readonly txPagesPerPool: number;
  /** Pages of the block that holds every RX and TX descriptor ring of one port. */
  readonly ringPagesPerPort: number;
}

const pagesFor = (bytes: number): number => Math.ceil(bytes / HUGEPAGE_BYTES);

/**
 * Pages of 2 MiB a run needs, as the ixgbe driver allocates them for each port: one block
 * for all its descriptor rings (2 x queues rings of ringSize descriptors), and per queue pair
 * one RX pool of the next power of two >= 2 x ringSize + batch buffers and one TX pool of
 * ringSize + 64 buffers (2 KiB each), every block rounded up to whole pages.
 */
export function hugepagesNeeded(
  c: { queues: number; ringSize: number; batch: number },
  ports = 2,
): HugepageNeed {
  const buffersPerPool = 2 ** Math.ceil(Math.log2(2 * c.ringSize + c.batch));
  const pagesPerPool = pagesFor(buffersPerPool * BUFFER_BYTES);
  const txBuffersPerPool = c.ringSize + 64;
  const txPagesPerPool = pagesFor(txBuffersPerPool * BUFFER_BYTES);
  const ringPagesPerPort = pagesFor(2 * c.queues * c.ringSize * DESCRIPTOR_BYTES);
  const pages = ports * (c.queues * (pagesPerPool + txPagesPerPool) + ringPagesPerPort);
  return {
    pages,
    ports,
    queues: c.queues,
    buffersPerPool,
    pagesPerPool,
    txBuffersPerPool,
    txPagesPerPool,
    ringPagesPerPort,
  };
}

/** One hugepage pool's counters (the files of /sys/kernel/mm/hugepages/hugepages-<n>kB). */
export interface HugepageStatus {
  readonly pageBytes: number;
  /** nr_hugepages: pages in the persistent pool. */
  readonly total: number;
  readonly free: number;
  /** resv_hugepages: free pages already promised to mappings. */
  readonly reserved: number;
  /** Pages a new mapping can get: free - reserved. */
  readonly available: number;
}

/** Access to the pool files, so tests can stand in for the kernel. */
export interface HugepageSysfs {
  /** Human name of the pool directory, for messages. */
  readonly path: string;
  /** Reads a counter file (nr_hugepages, free_hugepages, resv_hugepages); throws if missing. */
  read(name: string): number;
  write(name: string, value: number): void;
}

/** The sysfs pool directory for 2 MiB pages under `root`. */
export function sysfsPool(root = SYSFS_HUGEPAGES, pageBytes = HUGEPAGE_BYTES): HugepageSysfs {
  const path = join(root, `hugepages-${pageBytes / 1024}kB`);
  return {
    path,
    read: (name) => {
      const text = readFileSync(join(path, name), "utf8").trim();
      const n = Number(text);
      if (!Number.isInteger(n) || n < 0)
        throw new Error(`${join(path, name)} holds ${JSON.stringify(text)}, not a count`);
      return n;
    },
    write: (name, value) => writeFileSync(join(path, name), `${value}\n`),
  };
}

/**
 * The 2 MiB pool through @dataplane/hugemem: its `status()` for the counters and its
 * `reserve()` to resize (which never shrinks below the pages in use). The default pool.
 */
export function hugememPool(): HugepageSysfs {
  const path = join(SYSFS_HUGEPAGES, `hugepages-${HUGEPAGE_BYTES / 1024}kB`);
  const pool = () => {
    const p = status().pools.find((x) => x.pageSize === HUGEPAGE_BYTES);
    if (!p) throw new Error("the kernel reports no 2 MiB pool");
    return p;
  };
  const fields: Readonly<Record<string, "total" | "free" | "reserved">> = {
    nr_hugepages: "total",
    free_hugepages: "free",
    resv_hugepages: "reserved",
  };
  return {
    path,
    read: (name) => {
      const field = fields[name];
      if (!field) throw new Error(`no counter ${name}`);
      return pool()[field];
    },
    write: (name, value) => {
      if (name !== "nr_hugepages") throw new Error(`${name} is read-only`);
      reserve(value, "2M", { shrink: true });
    },
  };
}

/** Reads the pool's counters. Throws HUGEPAGES when the kernel has no such pool. */
export function readStatus(fs: HugepageSysfs = hugememPool()): HugepageStatus {
  try {
    const total = fs.read("nr_hugepages");
    const free = fs.read("free_hugepages");
    const reserved = fs.read("resv_hugepages");
    return {
      pageBytes: HUGEPAGE_BYTES,
      total,
      free,
      reserved,
      available: Math.max(0, free - reserved),
    };
  } catch (cause) {
    throw new L2fwdError(
      "HUGEPAGES",
      `cannot read the 2 MiB hugepage pool at ${fs.path} (${(cause as Error).message}); this kernel needs hugetlbfs support (CONFIG_HUGETLBFS)`,
      { cause },
    );
  }
}

/** What the precheck did. `restore` gives reserved pages back (idempotent); null if none. */
export interface PrecheckResult {
  readonly status: HugepageStatus;
  /** A line for the user when something was done, else null. */
  readonly message: string | null;
  readonly added: number;
  readonly restore: (() => void) | null;
}

const describeNeed = (n: HugepageNeed): string =>
  `${n.pages} x 2 MiB = ${(n.pages * 2).toLocaleString("en-US")} MiB: ${n.ports} ports x (${n.queues} queue${n.queues === 1 ? "" : "s"} x (${n.pagesPerPool} pages for ${n.buffersPerPool} RX buffers + ${n.txPagesPerPool} for ${n.txBuffersPerPool} TX buffers) + ${n.ringPagesPerPort} for the rings)`;

/**
 * Makes sure `need.pages` pages are available. As root, reserves the shortfall and returns
 * a `restore` that shrinks the pool again; otherwise throws HUGEPAGES with the command to run.
 */
export function ensureHugepages(
  need: HugepageNeed,
  options: { fs?: HugepageSysfs; euid?: number } = {},
): PrecheckResult {
  const fs = options.fs ?? hugememPool();
  const euid = options.euid ?? process.geteuid?.() ?? -1;
  const status = readStatus(fs);
  const missing = need.pages - status.available;
  if (missing <= 0) return { status, message: null, added: 0, restore: null };
  const target = status.total + missing;
  if (euid !== 0) {
    throw new L2fwdError(
      "HUGEPAGES",
      `not enough hugepages: this run needs ${describeNeed(need)}; only ${status.available} are free. ` +
        `As root, run: echo ${target} > ${join(fs.path, "nr_hugepages")}   (or: sudo bunx @dataplane/hugemem reserve ${target}); ` +
        "or start l2fwd as root and it reserves them for the run.",
    );
  }
  try {
    fs.write("nr_hugepages", target);
  } catch (cause) {
    throw new L2fwdError(
      "HUGEPAGES",
      `cannot write ${join(fs.path, "nr_hugepages")}: ${(cause as Error).message}`,
      { cause },
    );
  }
  const after = readStatus(fs);
  const added = after.total - status.total;
  let restored = added <= 0;
  const restore = (): void => {
    if (restored) return;
    restored = true;
    // Shrink by what we added, relative to the pool as it is now (others may have changed it).
    fs.write("nr_hugepages", Math.max(0, fs.read("nr_hugepages") - added));
  };
  if (after.available < need.pages) {
    restore();
    throw new L2fwdError(
      "HUGEPAGES",
      `not enough hugepages: this run needs ${describeNeed(need)}; asked the kernel for ${missing} more but only ${after.available} are available now ` +
        "(memory is fragmented or short): free memory and retry, or reserve them at boot with hugepages=N on the kernel command line.",
    );
  }
  return {
    status: after,
    message: `reserved ${added} more 2 MiB hugepages for this run (nr_hugepages ${status.total} -> ${after.total}); they are given back at exit`,
    added,
    restore,
  };
}
