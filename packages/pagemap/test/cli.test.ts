import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import { Pagemap } from "../src/index.ts";
import { hugeMapping, isRoot, need, smallMapping } from "./helpers.ts";

const CLI = join(import.meta.dir, "../src/cli.ts");
const run = (...args: string[]) => {
  const r = Bun.spawnSync([process.execPath, CLI, ...args], { stdout: "pipe", stderr: "pipe" });
  return { code: r.exitCode, stdout: r.stdout.toString(), stderr: r.stderr.toString() };
};

describe("pagemap CLI", () => {
  test("--json shows this process's hugepage with the same physical address and kpageflags", () => {
    using m = hugeMapping(1);
    if (!need("root and a free 2 MiB hugepage", isRoot() && m !== null) || m === null) return;
    using pm = Pagemap.open();
    const r = run(String(process.pid), `0x${m.address.toString(16)}`, "3", "--json");
    expect(r.code).toBe(0);
    const rows = JSON.parse(r.stdout) as {
      virtual: string;
      physical: string;
      flags: string[];
      kpageflags: string[];
    }[];
    expect(rows.length).toBe(3);
    rows.forEach((row, i) => {
      expect(row.virtual).toBe(`0x${(m.address + i * 4096).toString(16)}`);
      expect(row.physical).toBe(`0x${pm.translate(m.address + i * 4096).toString(16)}`);
      expect(row.flags).toContain("present");
      expect(row.kpageflags).toContain("HUGE");
      expect(row.kpageflags).toContain(i === 0 ? "COMPOUND_HEAD" : "COMPOUND_TAIL");
    });
  });

  test("an address inside a page reports the physical address of that byte, offset kept", () => {
    using m = hugeMapping(1);
    if (!need("root and a free 2 MiB hugepage", isRoot() && m !== null) || m === null) return;
    using pm = Pagemap.open();
    const va = m.address + 5 * 4096 + 0x234;
    const r = run(String(process.pid), `0x${va.toString(16)}`, "2", "--json");
    expect(r.code).toBe(0);
    const rows = JSON.parse(r.stdout) as { virtual: string; physical: string }[];
    expect(rows.map((row) => row.virtual)).toEqual([
      `0x${va.toString(16)}`,
      `0x${(va + 4096).toString(16)}`,
    ]);
    expect(rows[0]?.physical).toBe(`0x${pm.translate(va).toString(16)}`);
    expect(rows[0]?.physical.endsWith("234")).toBe(true);
    expect(rows[1]?.physical).toBe(`0x${pm.translate(va + 4096).toString(16)}`);
  });

  test("the table has one line per page plus a header", () => {
    using m = hugeMapping(1);
    if (!need("root and a free 2 MiB hugepage", isRoot() && m !== null) || m === null) return;
    const r = run(String(process.pid), m.address.toString(16), "2");
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split("\n");
    expect(lines.length).toBe(3);
    expect(lines[1]).toContain("present");
  });

  test("a page that was never touched reads as not present, with no address", () => {
    using m = smallMapping(2);
    const r = run(String(process.pid), m.address.toString(16), "2");
    expect(r.code).toBe(0);
    const rows = r.stdout.trim().split("\n").slice(1);
    expect(rows.length).toBe(2);
    for (const row of rows) expect(row).toMatch(/^0x[0-9a-f]+ +not present/);
    const json = JSON.parse(run(String(process.pid), m.address.toString(16), "--json").stdout);
    expect(json[0]).toMatchObject({ physical: null, present: false, pfn: 0 });
  });

  test("usage errors exit 2 with one line that points to --help; --help exits 0", () => {
    for (const args of [
      [],
      ["self"],
      ["self", "xyz"],
      ["self", "0x1000", "0"],
      ["abc", "0x1000"],
      ["self", "0x1", "--bogus"],
    ]) {
      const r = run(...args);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/^pagemap: .+; see pagemap --help\n$/);
    }
    const help = run("--help");
    expect(help.code).toBe(0);
    expect(help.stdout).toContain("usage: pagemap");
  });

  test("a pid that does not exist exits 1 with NO_PROCESS", () => {
    const r = run("999999999", "0x1000");
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("NO_PROCESS");
  });
});

test("pagemap --version prints the package version; a bad flag is one sentence naming it", () => {
  const { version } = require("../package.json") as { version: string };
  const v = run("--version");
  expect(v.code).toBe(0);
  expect(v.stdout).toBe(`pagemap ${version} (bun ${Bun.version})\n`);
  const bad = run("self", "0x1000", "--frobnicate");
  expect(bad.code).toBe(2);
  expect(bad.stderr.split("\n")[0]).toBe(
    "pagemap: unknown option --frobnicate; valid options: --json, --help, --version; see pagemap --help",
  );
});
