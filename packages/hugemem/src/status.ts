/*
 * Hugepage pools as the kernel reports them: one sysfs directory per page size
 * (/sys/kernel/mm/hugepages), the same per NUMA node, and the hugetlbfs mounts in /proc/mounts.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { parseSizeText, poolDir } from "./size.ts";

/** One NUMA node's share of a pool. */
export interface NodePool {
  readonly node: number;
  readonly total: number;
  readonly free: number;
  readonly surplus: number;
}

/** One hugepage pool (all pages of one size). Counts are pages. */
export interface HugepagePool {
  /** Page size in bytes. */
  readonly pageSize: number;
  /** nr_hugepages: persistent pages in the pool. */
  readonly total: number;
  /** free_hugepages: pages not mapped by anyone (reserved ones included). */
  readonly free: number;
  /** resv_hugepages: free pages promised to existing mappings. */
  readonly reserved: number;
  /** surplus_hugepages: pages above nr_hugepages from overcommit. */
  readonly surplus: number;
  /** nr_overcommit_hugepages. */
  readonly overcommit: number;
  /** free - reserved: what a new allocation can get. */
  readonly available: number;
  /** Per NUMA node, when the kernel has node directories. */
  readonly nodes: readonly NodePool[];
}

/** A hugetlbfs mount and the page size its files use. */
export interface HugetlbfsMount {
  readonly path: string;
  readonly pageSize: number;
}

/** Everything status() reports. */
export interface HugepageStatus {
  /** The default hugepage size (Hugepagesize in /proc/meminfo), in bytes; 0 if none. */
  readonly defaultPageSize: number;
  readonly pools: readonly HugepagePool[];
  readonly mounts: readonly HugetlbfsMount[];
}

const POOLS = "/sys/kernel/mm/hugepages";
const NODES = "/sys/devices/system/node";

function readCount(path: string): number {
  try {
    return Number.parseInt(readFileSync(path, "utf8"), 10) || 0;
  } catch {
    return 0; // e.g. an attribute this kernel does not have
  }
}

function poolSizes(): number[] {
  if (!existsSync(POOLS)) return [];
  return readdirSync(POOLS)
    .map((d) => /^hugepages-([0-9]+)kB$/.exec(d))
    .filter((m) => m !== null)
    .map((m) => Number(m[1]) * 1024)
    .sort((a, b) => a - b);
}

function nodePools(pageSize: number): NodePool[] {
  if (!existsSync(NODES)) return [];
  const out: NodePool[] = [];
  for (const d of readdirSync(NODES)) {
    const m = /^node([0-9]+)$/.exec(d);
    const dir = `${NODES}/${d}/hugepages/hugepages-${pageSize / 1024}kB`;
    if (m === null || !existsSync(dir)) continue;
    out.push({
      node: Number(m[1]),
      total: readCount(`${dir}/nr_hugepages`),
      free: readCount(`${dir}/free_hugepages`),
      surplus: readCount(`${dir}/surplus_hugepages`),
    });
  }
  return out.sort((a, b) => a.node - b.node);
}

/** The pool of `pageSize`-byte pages, or null when the kernel has none. */
export function poolStatus(pageSize: number): HugepagePool | null {
  const dir = poolDir(pageSize);
  if (!existsSync(dir)) return null;
  const free = readCount(`${dir}/free_hugepages`);
  const reserved = readCount(`${dir}/resv_hugepages`);
  return {
    pageSize,
    total: readCount(`${dir}/nr_hugepages`),
    free,
    reserved,
    surplus: readCount(`${dir}/surplus_hugepages`),
    overcommit: readCount(`${dir}/nr_overcommit_hugepages`),
    available: Math.max(0, free - reserved),
    nodes: nodePools(pageSize),
  };
}

// /proc/mounts escapes space, tab, newline and backslash as \ooo octal.
const unescapeMount = (s: string): string =>
  s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(Number.parseInt(o, 8)));

/** hugetlbfs mounts from /proc/mounts; a mount without pagesize= uses the default size. */
export function hugetlbfsMounts(defaultPageSize = defaultHugePageSize()): HugetlbfsMount[] {
  const out: HugetlbfsMount[] = [];
  for (const line of readFileSync("/proc/mounts", "utf8").split("\n")) {
    const [, path, type, options] = line.split(" ");
    if (type !== "hugetlbfs" || path === undefined) continue;
    const opt = (options ?? "").split(",").find((o) => o.startsWith("pagesize="));
    const size = opt === undefined ? defaultPageSize : parseSizeText(opt.slice("pagesize=".length));
    out.push({ path: unescapeMount(path), pageSize: size });
  }
  return out;
}

/** Hugepagesize from /proc/meminfo in bytes, 0 when the kernel has no hugetlb support. */
export function defaultHugePageSize(): number {
  const m = /^Hugepagesize:\s+([0-9]+) kB$/m.exec(readFileSync("/proc/meminfo", "utf8"));
  return m === null ? 0 : Number(m[1]) * 1024;
}

/** Every hugepage pool (per NUMA node where present) and every hugetlbfs mount. */
export function status(): HugepageStatus {
  const defaultPageSize = defaultHugePageSize();
  const pools: HugepagePool[] = [];
  for (const size of poolSizes()) {
    const pool = poolStatus(size);
    if (pool !== null) pools.push(pool);
  }
  return { defaultPageSize, pools, mounts: hugetlbfsMounts(defaultPageSize) };
}
