#!/usr/bin/env bun
/*
 * hugemem status [--json] | reserve <count> ... | alloc <size> ... | sg <pid> ... | --help
 * Exit codes: 0 ok, 1 the operation failed (message says the fix), 2 usage error.
 */
import { versionLine } from "@dataplane/sys";
import pkg from "../package.json" with { type: "json" };
import { runAlloc } from "./cli-alloc.ts";
import { UsageError } from "./cli-args.ts";
import { runSg } from "./cli-sg.ts";
import { HugememError } from "./errors.ts";
import { type ReserveResult, reserve } from "./reserve.ts";
import { type PageSizeName, pageSizeName } from "./size.ts";
import { type HugepageStatus, status } from "./status.ts";

const USAGE = `usage: hugemem <command>   (bunx hugemem, or bunx @dataplane/hugemem anywhere)

  status [--json]                  hugepage pools (per NUMA node) and hugetlbfs mounts
  reserve <count> [--size 2M|1G] [--shrink] [--partial]
                                   grow the pool to <count> pages (root); counts beyond the
                                   machine's memory are refused; when the kernel gives fewer the
                                   pool is put back unless --partial; --shrink also lets it
                                   shrink to <count>, never below the pages in use
  alloc <size> [--page 2M|1G] [--backing memfd|hugetlbfs|anonymous] [--contiguous]
        [--keep-order] [--json] [--hold]
                                   allocate, populate and prove a DMA buffer (e.g. 512M, 64G),
                                   pages in physical order unless --keep-order (the shortest SG
                                   list; memfd/hugetlbfs pay a second populate for it); print
                                   page size and count, the SG list, the time of each step;
                                   --hold keeps it (and its memfd) until Ctrl-C / SIGTERM
  sg <pid|self> <hex-address> <bytes> [--page 2M|1G] [--lock] [--json]
                                   check that every page of an existing range is a present
                                   hugepage of that size and print its SG list (root)
  --help                           show this text
  --version                        print the version`;

function printStatus(s: HugepageStatus): void {
  if (s.pools.length === 0) {
    console.log("no hugepage pools: this kernel lacks CONFIG_HUGETLBFS");
    return;
  }
  const cols = ["pool", "total", "free", "reserved", "surplus", "available"];
  console.log(cols.map((c, i) => (i === 0 ? c.padEnd(10) : c.padStart(10))).join(""));
  for (const p of s.pools) {
    const name = pageSizeName(p.pageSize) + (p.pageSize === s.defaultPageSize ? "*" : "");
    const nums = [p.total, p.free, p.reserved, p.surplus, p.available];
    console.log(name.padEnd(10) + nums.map((n) => String(n).padStart(10)).join(""));
    for (const n of p.nodes) {
      const row = [n.total, n.free, "", n.surplus].map((v) => String(v).padStart(10)).join("");
      console.log(`  node${n.node}`.padEnd(10) + row);
    }
  }
  console.log("(* default page size)\n\nhugetlbfs mounts:");
  if (s.mounts.length === 0) console.log('  none (backing "memfd" needs none)');
  for (const m of s.mounts) console.log(`  ${m.path}  pagesize=${pageSizeName(m.pageSize)}`);
}

function runReserve(args: readonly string[]): number {
  let size: PageSizeName = "2M";
  let shrink = false;
  let partial = false;
  const rest: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i] as string;
    if (a === "--size") {
      const v = args[++i];
      if (v !== "2M" && v !== "1G")
        throw new UsageError(`--size takes 2M or 1G, not ${v ?? "nothing"}`);
      size = v;
    } else if (a === "--shrink") {
      shrink = true;
    } else if (a === "--partial") {
      partial = true;
    } else if (a.startsWith("-")) {
      throw new UsageError(`unknown option ${a}; reserve takes --size, --shrink and --partial`);
    } else rest.push(a);
  }
  if (rest.length !== 1 || !/^[0-9]+$/.test(rest[0] as string)) {
    throw new UsageError("reserve takes one page count, e.g. reserve 512 --size 2M");
  }
  const r = reserve(Number(rest[0]), size, { shrink, partial });
  console.log(
    `${size} pool: requested ${r.requested}, was ${r.before}, now ${r.total} (${r.free} free): ${reserveVerdict(r)}`,
  );
  return r.satisfied ? 0 : 1;
}

function reserveVerdict(r: ReserveResult): string {
  if (r.keptLarger) {
    return `unchanged: the pool already holds more than ${r.requested}; reserve only grows a pool, add --shrink to shrink it`;
  }
  if (r.satisfied) return "ok";
  if (r.rolledBack > 0) {
    return (
      `the kernel gave only ${r.rolledBack} of the ${r.requested - r.before} pages asked for (memory is fragmented), ` +
      `so the pool was put back to ${r.before}; add --partial to keep what the kernel gives`
    );
  }
  if (r.total > r.before) return `kept the ${r.total - r.before} pages the kernel gave (--partial)`;
  return "the kernel could not find any free memory for more pages";
}

/** Runs the CLI on `argv` (without the program name); returns the exit code. */
export async function main(argv: readonly string[]): Promise<number> {
  try {
    const [command, ...args] = argv;
    if (
      command === undefined ||
      command === "--help" ||
      command === "-h" ||
      args.includes("--help")
    ) {
      console.log(USAGE);
      return command === undefined ? 2 : 0;
    }
    if (command === "--version" || command === "-V") {
      console.log(versionLine("hugemem", pkg.version));
      return 0;
    }
    if (command === "status") {
      const extra = args.filter((a) => a !== "--json");
      if (extra.length > 0)
        throw new UsageError(`status takes only --json, not ${extra.join(" ")}`);
      const s = status();
      if (args.includes("--json")) console.log(JSON.stringify(s, null, 2));
      else printStatus(s);
      return 0;
    }
    if (command === "reserve") return runReserve(args);
    if (command === "alloc") return await runAlloc(args);
    if (command === "sg") return runSg(args);
    throw new UsageError(`unknown command ${command}; commands: status, reserve, alloc, sg`);
  } catch (e) {
    if (e instanceof UsageError) {
      console.error(`hugemem: ${e.message}; see hugemem --help`);
      return 2;
    }
    if (!(e instanceof HugememError)) throw e;
    console.error(`hugemem: ${e.code}: ${e.message}`);
    return 1;
  }
}

if (import.meta.main) process.exit(await main(process.argv.slice(2)));
