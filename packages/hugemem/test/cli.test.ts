import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import { status } from "../src/index.ts";
import { isRoot, need, runAsNobody } from "./helpers.ts";

const CLI = join(import.meta.dir, "../src/cli.ts");
const run = (...args: string[]) => {
  const r = Bun.spawnSync([process.execPath, CLI, ...args], { stdout: "pipe", stderr: "pipe" });
  return { code: r.exitCode, stdout: r.stdout.toString(), stderr: r.stderr.toString() };
};

describe("hugemem CLI", () => {
  test("status --json is status() as JSON; the table names every pool and mount", () => {
    const r = run("status", "--json");
    expect(r.code).toBe(0);
    const parsed = JSON.parse(r.stdout) as ReturnType<typeof status>;
    const now = status();
    expect(parsed.pools.map((p) => [p.pageSize, p.total])).toEqual(
      now.pools.map((p) => [p.pageSize, p.total]),
    );
    expect(parsed.mounts).toEqual(now.mounts as typeof parsed.mounts);
    const table = run("status");
    expect(table.code).toBe(0);
    for (const m of now.mounts) expect(table.stdout).toContain(m.path);
    if (now.pools.some((p) => p.pageSize === 2 * 1024 * 1024)) expect(table.stdout).toMatch(/^2M/m);
  });

  test("usage errors exit 2 with one line that points to --help; --help exits 0", () => {
    const bad = [
      [],
      ["frobnicate"],
      ["reserve"],
      ["reserve", "x"],
      ["reserve", "4", "--size", "3M"],
      ["status", "--yaml"],
    ];
    for (const args of bad) {
      const r = run(...args);
      expect(r.code).toBe(2);
      expect(r.stdout + r.stderr).toMatch(
        args.length === 0 ? /^usage: hugemem/ : /^hugemem: .+; see hugemem --help\n$/,
      );
    }
    const help = run("--help");
    expect(help.code).toBe(0);
    expect(help.stdout).toContain("reserve <count>");
  });

  test("reserve as nobody exits 1 with NOT_ROOT and the command to run", () => {
    if (!need("root (to drop privileges with setpriv)", isRoot())) return;
    const r = runAsNobody(CLI, ["reserve", "8", "--size", "2M"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("NOT_ROOT");
    expect(r.stderr).toContain("echo 8 > /sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages");
  });

  test("reserve never shrinks a pool unless asked; growing reports what the kernel gave", () => {
    const pool = status().pools.find((p) => p.pageSize === 2 * 1024 * 1024);
    if (!need("root and a 2 MiB pool", isRoot() && pool !== undefined) || pool === undefined)
      return;
    const same = run("reserve", "1", "--size", "2M");
    expect(same.code).toBe(0);
    expect(same.stdout).toContain(`requested 1, was ${pool.total}, now ${pool.total}`);
    const grow = run("reserve", String(pool.total + 1));
    try {
      expect(grow.stdout).toContain(`requested ${pool.total + 1}, was ${pool.total}, now `);
      expect(grow.code).toBe(
        status().pools.find((p) => p.pageSize === pool.pageSize)?.total === pool.total + 1 ? 0 : 1,
      );
    } finally {
      run("reserve", String(pool.total), "--shrink");
    }
    expect(status().pools.find((p) => p.pageSize === pool.pageSize)?.total).toBe(pool.total);
  });
});

test("hugemem --version prints the package version; a bad flag is one sentence naming it", () => {
  const { version } = require("../package.json") as { version: string };
  const v = run("--version");
  expect(v.code).toBe(0);
  expect(v.stdout).toBe(`hugemem ${version} (bun ${Bun.version})\n`);
  const bad = run("reserve", "4", "--frobnicate");
  expect(bad.code).toBe(2);
  expect(bad.stderr.split("\n")[0]).toBe(
    "hugemem: unknown option --frobnicate; reserve takes --size, --shrink and --partial; see hugemem --help",
  );
});
