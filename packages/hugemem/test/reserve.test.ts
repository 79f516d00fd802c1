import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import { PAGE_2M, reserve, status } from "../src/index.ts";
import { type PoolAccess, reserveWith } from "../src/reserve.ts";
import type { HugepagePool } from "../src/status.ts";
import { errorOf, isRoot, need } from "./helpers.ts";

/** A kernel that holds `memoryPages` more pages at most and gives at most `gives` per write. */
function fakeKernel(total: number, free: number, memoryPages: number, gives: number) {
  const state = { total, free, writes: [] as number[] };
  const io: PoolAccess = {
    status: (): HugepagePool => ({
      pageSize: PAGE_2M,
      total: state.total,
      free: state.free,
      reserved: 0,
      surplus: 0,
      overcommit: 0,
      available: state.free,
      nodes: [],
    }),
    write: (count) => {
      state.writes.push(count);
      const grown = Math.min(count, state.total + gives);
      state.free += grown - state.total;
      state.total = grown;
    },
    availableBytes: () => memoryPages * PAGE_2M,
  };
  return { io, state };
}

describe("reserve()", () => {
  test("a count beyond the machine's memory is refused before anything is written", () => {
    const { io, state } = fakeKernel(100, 100, 900, 900);
    const e = errorOf(() => reserveWith(io, 5000, PAGE_2M));
    expect(e.code).toBe("TOO_MANY_PAGES");
    expect(e.message).toContain("at most 1000");
    expect(e.message).toContain("ask for 1000 or fewer");
    expect(state.writes).toEqual([]);
    expect(reserveWith(io, 1000, PAGE_2M).satisfied).toBe(true);
  });

  test("an unsatisfied growth is rolled back, unless a partial pool is asked for", () => {
    const { io, state } = fakeKernel(100, 100, 900, 300);
    const r = reserveWith(io, 800, PAGE_2M);
    expect(r).toMatchObject({ before: 100, total: 100, satisfied: false, rolledBack: 300 });
    expect(state.writes).toEqual([800, 100]);
    const kept = reserveWith(io, 800, PAGE_2M, { partial: true });
    expect(kept).toMatchObject({ before: 100, total: 400, satisfied: false, rolledBack: 0 });
  });

  test("fewer pages than the pool holds: kept larger without shrink, shrunk with it", () => {
    const { io, state } = fakeKernel(500, 400, 900, 900);
    const kept = reserveWith(io, 50, PAGE_2M);
    expect(kept).toMatchObject({ total: 500, keptLarger: true, satisfied: true });
    expect(state.writes).toEqual([]);
    // 100 pages are in use: shrink stops there.
    const shrunk = reserveWith(io, 50, PAGE_2M, { shrink: true });
    expect(shrunk).toMatchObject({ target: 100, keptLarger: false });
    expect(state.writes).toEqual([100]);
  });

  test("the real pool: an impossible count is refused and the pool is unchanged", () => {
    const pool = status().pools.find((p) => p.pageSize === PAGE_2M);
    if (!need("root and a 2 MiB pool", isRoot() && pool !== undefined) || pool === undefined)
      return;
    const e = errorOf(() => reserve(pool.total + 10_000_000, "2M"));
    expect(e.code).toBe("TOO_MANY_PAGES");
    expect(status().pools.find((p) => p.pageSize === PAGE_2M)?.total).toBe(pool.total);
  });
});

const CLI = join(import.meta.dir, "../src/cli.ts");

describe("hugemem reserve CLI", () => {
  test("asking for fewer pages says the pool was left larger and that --shrink shrinks it", () => {
    const pool = status().pools.find((p) => p.pageSize === PAGE_2M);
    if (!need("root and a non-empty 2 MiB pool", isRoot() && (pool?.total ?? 0) > 0)) return;
    const r = Bun.spawnSync([process.execPath, CLI, "reserve", "0"], { stdout: "pipe" });
    expect(r.exitCode).toBe(0);
    expect(r.stdout.toString()).toContain("unchanged");
    expect(r.stdout.toString()).toContain("--shrink");
  });

  test("an impossible count exits 1 with TOO_MANY_PAGES and the number the machine can give", () => {
    if (!need("root", isRoot())) return;
    const r = Bun.spawnSync([process.execPath, CLI, "reserve", "99999999"], { stderr: "pipe" });
    expect(r.exitCode).toBe(1);
    expect(r.stderr.toString()).toMatch(/TOO_MANY_PAGES: .* at most [0-9]+/);
  });
});
