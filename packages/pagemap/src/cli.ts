#!/usr/bin/env bun
/*
 * pagemap <pid|self> <hex-address> [count] [--json]: prints, per 4 KiB page, the virtual
 * and physical address, the pagemap flags and the kpageflags names. Exit 2 on usage errors.
 */
import { versionLine } from "@dataplane/sys";
import pkg from "../package.json" with { type: "json" };
import { decodeEntry, entryFlagNames, type PagemapEntry } from "./entry.ts";
import { hex, PagemapError, PFN_HIDDEN_FIX } from "./errors.ts";
import { Kpageflags, kpageflagNames } from "./kpageflags.ts";
import { Pagemap } from "./pagemap.ts";

const USAGE = `usage: pagemap <pid|self> <hex-address> [count] [--json]   (bunx pagemap)

  pid          a process id, or "self"
  hex-address  virtual address of the byte asked for, e.g. 0x7f3a00001234; its physical
               address keeps the offset inside the page (0x...1234 -> 0x<frame>234)
  count        number of 4 KiB pages to show (1 .. 1048576, default 1); each further row is
               the same offset in the next page
  --json       print a JSON array instead of a table
  --help       show this text
  --version    print the version

Physical addresses and kpageflags need root (CAP_SYS_ADMIN).`;

const MAX_COUNT = 1 << 20;

interface Args {
  readonly pid: number | "self";
  /** The 4 KiB page holding the address asked for. */
  readonly va: number;
  /** The address's offset inside that page, kept in every row. */
  readonly offset: number;
  readonly count: number;
  readonly json: boolean;
}

interface Row {
  readonly virtual: string;
  readonly physical: string | null;
  readonly flags: string[];
  readonly kpageflags: string[] | null;
  readonly entry: PagemapEntry;
}

class UsageError extends Error {}

function parseArgs(argv: readonly string[]): Args | "help" | "version" {
  if (argv.includes("--help") || argv.includes("-h")) return "help";
  if (argv.includes("--version") || argv.includes("-V")) return "version";
  const json = argv.includes("--json");
  const unknown = argv.find((a) => a.startsWith("-") && a !== "--json");
  if (unknown !== undefined)
    throw new UsageError(`unknown option ${unknown}; valid options: --json, --help, --version`);
  const rest = argv.filter((a) => a !== "--json");
  if (rest.length < 2 || rest.length > 3)
    throw new UsageError("expected <pid|self> <hex-address> [count]");
  const [pidText = "", vaText = "", countText = "1"] = rest;
  let pid: number | "self" = "self";
  if (pidText !== "self") {
    if (!/^[1-9][0-9]*$/.test(pidText))
      throw new UsageError(`pid "${pidText}" is not a number or "self"`);
    pid = Number(pidText);
  }
  if (!/^(0x)?[0-9a-f]+$/i.test(vaText))
    throw new UsageError(`address "${vaText}" is not hexadecimal`);
  const va = Number.parseInt(vaText.replace(/^0x/i, ""), 16);
  if (!Number.isSafeInteger(va)) throw new UsageError(`address ${vaText} is too large`);
  if (!/^[1-9][0-9]*$/.test(countText) || Number(countText) > MAX_COUNT) {
    throw new UsageError(`count "${countText}" must be an integer from 1 to ${MAX_COUNT}`);
  }
  const offset = va % 4096;
  return { pid, va: va - offset, offset, count: Number(countText), json };
}

function openKpageflags(): Kpageflags | null {
  try {
    return Kpageflags.open();
  } catch {
    return null; // not root: the column says so
  }
}

function collect(args: Args): Row[] {
  using pm = Pagemap.open(args.pid, { learnPageSize: false });
  const words = new Uint32Array(args.count * 2);
  pm.readEntries(args.va, args.count, words);
  const kpf = openKpageflags();
  const rows: Row[] = [];
  for (let i = 0; i < args.count; i++) {
    const entry = decodeEntry(words[2 * i] as number, words[2 * i + 1] as number);
    const known = entry.pfn !== 0;
    rows.push({
      virtual: hex(args.va + i * 4096 + args.offset),
      physical: known ? hex(entry.pfn * 4096 + args.offset) : null,
      flags: entryFlagNames(entry),
      kpageflags: kpf !== null && known ? kpageflagNames(kpf.flags(entry.pfn)) : null,
      entry,
    });
  }
  kpf?.close();
  return rows;
}

function print(rows: readonly Row[], json: boolean): void {
  if (json) {
    const out = rows.map(({ entry, ...row }) => ({ ...row, ...entry }));
    console.log(JSON.stringify(out, null, 2));
    return;
  }
  console.log(`${"virtual".padEnd(18)} ${"physical".padEnd(14)} ${"flags".padEnd(30)} kpageflags`);
  for (const r of rows) {
    // Never print 0 for a page that has no frame: say why there is no address.
    const physical =
      r.physical ?? (r.entry.present ? "hidden" : r.entry.swapped ? "swapped out" : "not present");
    const kpf = r.kpageflags?.join(",") ?? "-";
    console.log(
      `${r.virtual.padEnd(18)} ${physical.padEnd(14)} ${r.flags.join(",").padEnd(30)} ${kpf}`,
    );
  }
}

/** Runs the CLI on `argv` (without the program name); returns the exit code. */
export function main(argv: readonly string[]): number {
  let args: Args | "help" | "version";
  try {
    args = parseArgs(argv);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    console.error(`pagemap: ${e.message}; see pagemap --help`);
    return 2;
  }
  if (args === "help") {
    console.log(USAGE);
    return 0;
  }
  if (args === "version") {
    console.log(versionLine("pagemap", pkg.version));
    return 0;
  }
  try {
    const rows = collect(args);
    print(rows, args.json);
    if (rows.some((r) => r.entry.present && r.entry.pfn === 0)) {
      console.error(`pagemap: PFN_HIDDEN: ${PFN_HIDDEN_FIX}`);
      return 1;
    }
    return 0;
  } catch (e) {
    if (!(e instanceof PagemapError)) throw e;
    console.error(`pagemap: ${e.code}: ${e.message}`);
    return 1;
  }
}

if (import.meta.main) process.exit(main(process.argv.slice(2)));
