#!/usr/bin/env bun
/*
 * hugemem status [--json] | reserve <count> [--size 2M|1G] | --help
 * Exit codes: 0 ok, 1 the operation failed (message says the fix), 2 usage error.
 */
import { versionLine } from "@dataplane/sys";
import pkg from "../package.json" with { type: "json" };
import { HugememError } from "./errors.ts";
import { reserve } from "./reserve.ts";
import { type PageSizeName, pageSizeName } from "./size.ts";
import { type HugepageStatus, status } from "./status.ts";

const USAGE = `usage: hugemem <command>   (bunx hugemem, or bun run hugemem in the repository)

  status [--json]                  hugepage pools (per NUMA node) and hugetlbfs mounts
  reserve <count> [--size 2M|1G] [--shrink]
                                   grow the pool to <count> pages (root); --shrink also lets it
                                   shrink to <count>, never below the pages in use
  --help                           show this text
  --version                        print the version`;

class UsageError extends Error {}

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
    } else if (a.startsWith("-")) {
      throw new UsageError(`unknown option ${a}; reserve takes --size and --shrink`);
    } else rest.push(a);
  }
  if (rest.length !== 1 || !/^[0-9]+$/.test(rest[0] as string)) {
    throw new UsageError("reserve takes one page count, e.g. reserve 512 --size 2M");
  }
  const r = reserve(Number(rest[0]), size, { shrink });
  const verdict = r.satisfied ? "ok" : "the kernel could not find enough free memory";
  console.log(
    `${size} pool: requested ${r.requested}, was ${r.before}, now ${r.total} (${r.free} free): ${verdict}`,
  );
  return r.satisfied ? 0 : 1;
}

/** Runs the CLI on `argv` (without the program name); returns the exit code. */
export function main(argv: readonly string[]): number {
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
    throw new UsageError(`unknown command ${command}; commands: status, reserve`);
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

if (import.meta.main) process.exit(main(process.argv.slice(2)));
