import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { pageSizeBytes, pageSizeName, status } from "../src/index.ts";
import { need } from "./helpers.ts";

describe("status()", () => {
  test("the default-size pool matches /proc/meminfo and nodes add up", () => {
    const s = status();
    if (!need("a kernel with hugetlb pools", s.pools.length > 0)) return;
    const meminfo = readFileSync("/proc/meminfo", "utf8");
    const field = (name: string) =>
      Number(new RegExp(`^${name}:\\s+([0-9]+)`, "m").exec(meminfo)?.[1]);
    expect(s.defaultPageSize).toBe(field("Hugepagesize") * 1024);
    const pool = s.pools.find((p) => p.pageSize === s.defaultPageSize);
    expect(pool).toBeDefined();
    // Other processes may take pages between the two reads; totals do not move.
    expect(pool?.total).toBe(field("HugePages_Total"));
    for (const p of s.pools) {
      expect(p.available).toBe(Math.max(0, p.free - p.reserved));
      if (p.nodes.length > 0)
        expect(p.nodes.reduce((a, n) => a + n.total, 0)).toBe(p.total + p.surplus);
    }
  });

  test("hugetlbfs mounts come from /proc/mounts with their page size", () => {
    const lines = readFileSync("/proc/mounts", "utf8")
      .split("\n")
      .filter((l) => l.split(" ")[2] === "hugetlbfs");
    const s = status();
    expect(s.mounts.map((m) => m.path)).toEqual(lines.map((l) => l.split(" ")[1] as string));
    for (const [i, m] of s.mounts.entries()) {
      const opt = /pagesize=([0-9]+[KMG])/.exec(lines[i] as string)?.[1];
      expect(m.pageSize).toBe(opt === undefined ? s.defaultPageSize : pageSizeBytes(opt));
    }
  });

  test("page size names round-trip", () => {
    for (const name of ["2M", "1G", "16M", "64K"])
      expect(pageSizeName(pageSizeBytes(name))).toBe(name);
    expect(pageSizeBytes("2048kB")).toBe(2 * 1024 * 1024);
    expect(pageSizeBytes("1024M")).toBe(1024 ** 3);
  });
});
