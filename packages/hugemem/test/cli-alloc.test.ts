import { describe, expect, test } from "bun:test";
import { readFileSync, readlinkSync } from "node:fs";
import { join } from "node:path";
import { rangeSegments } from "../src/index.ts";
import { firstLine, freePages, isRoot, need, PAGE_2M, spawnHolder } from "./helpers.ts";

const CLI = join(import.meta.dir, "../src/cli.ts");
const run = (...args: string[]) => {
  const r = Bun.spawnSync([process.execPath, CLI, ...args], { stdout: "pipe", stderr: "pipe" });
  return { code: r.exitCode, stdout: r.stdout.toString(), stderr: r.stderr.toString() };
};

interface AllocJson {
  pid: number;
  bytes: number;
  pages: number;
  pageSize: number;
  fdPath: string | null;
  segments: { physical: number; bytes: number }[];
  segmentCount: number;
  largestSegment: number;
  contiguous: boolean;
  timings: Record<string, number>;
}

describe("hugemem alloc", () => {
  test("prints page size and count, the SG list and each step's time", () => {
    if (!need("root and 8 free 2 MiB hugepages", isRoot() && freePages() >= 8)) return;
    const text = run("alloc", "16M");
    expect(text.code).toBe(0);
    expect(text.stdout).toContain("allocated 16 MiB: 8 x 2M pages, backing memfd");
    expect(text.stdout).toMatch(/steps: map\+populate [0-9.]+ ms, lock [0-9.]+ ms, prove/);
    expect(text.stdout).toMatch(/SG list: [0-9]+ segments?, largest [0-9]+ MiB, total 16 MiB/);
    const json = JSON.parse(
      run("alloc", "16M", "--json", "--backing", "anonymous").stdout,
    ) as AllocJson;
    expect(json).toMatchObject({
      bytes: 16 * 1024 * 1024,
      pages: 8,
      pageSize: PAGE_2M,
      fdPath: null,
    });
    expect(json.segments.reduce((n, s) => n + s.bytes, 0)).toBe(json.bytes);
    expect(json.segmentCount).toBe(json.segments.length);
    expect(json.largestSegment).toBe(Math.max(...json.segments.map((s) => s.bytes)));
    // anonymous pages come in physical order: segments ascend
    for (let i = 1; i < json.segments.length; i++) {
      expect(json.segments[i]?.physical ?? 0).toBeGreaterThan(json.segments[i - 1]?.physical ?? 0);
    }
    expect(Object.keys(json.timings).sort()).toEqual([
      "addressesMs",
      "lockMs",
      "mapMs",
      "orderMs",
      "proveMs",
    ]);
  });

  test("--hold keeps the buffer and its memfd for another process until SIGTERM, then frees it", async () => {
    if (!need("root and 4 free 2 MiB hugepages", isRoot() && freePages() >= 4)) return;
    const child = Bun.spawn([process.execPath, CLI, "alloc", "8M", "--json", "--hold"], {
      stdout: "pipe",
      stderr: "pipe",
    });
    try {
      const held = JSON.parse(await firstLine(child)) as AllocJson & { address: number };
      expect(held.fdPath).toBe(`/proc/${child.pid}/fd/${held.fdPath?.split("/").pop()}`);
      expect(readlinkSync(held.fdPath as string)).toStartWith("/memfd:hugemem-alloc");
      // Another process (this one) sees the same pages in the holder's memory.
      const sg = rangeSegments(held.address, held.bytes, { pid: child.pid });
      expect(sg).toEqual(held.segments);
    } finally {
      child.kill("SIGTERM");
    }
    expect(await child.exited).toBe(0);
    expect(await new Response(child.stderr).text()).toContain("freed");
  });

  test("too big: NOT_ENOUGH_PAGES with the reserve command; 1G adds the boot parameters", () => {
    const r = run("alloc", "100000G");
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("NOT_ENOUGH_PAGES");
    expect(r.stderr).toMatch(/bunx @dataplane\/hugemem reserve [0-9]+ --size 2M/);
    const g = run("alloc", "100000G", "--page", "1G");
    expect(g.code).toBe(1);
    expect(g.stderr).toContain("hugepagesz=1G hugepages=");
  });

  test("usage errors exit 2", () => {
    for (const args of [
      ["alloc"],
      ["alloc", "lots"],
      ["alloc", "1M", "--page", "4K"],
      ["alloc", "1M", "--backing", "tmpfs"],
      ["alloc", "1M", "--hold", "--backing", "anonymous"],
      ["sg", "self", "1234", "4096"],
      ["sg", "self", "0x1000"],
    ]) {
      const r = run(...args);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/^hugemem: .*; see hugemem --help\n$/);
    }
  });
});

describe("hugemem sg", () => {
  test("lists another process's range by pid; a bad range names the page", async () => {
    if (!need("root and 2 free 2 MiB hugepages", isRoot() && freePages() >= 2)) return;
    const holder = await spawnHolder(2);
    const { held } = holder;
    const child = { pid: holder.pid };
    try {
      const addr = `0x${(held.address + 0x1234).toString(16)}`;
      const r = run("sg", String(child.pid), addr, "4096", "--json");
      expect(r.code).toBe(0);
      const out = JSON.parse(r.stdout) as AllocJson;
      expect(out.segments).toEqual([{ physical: (held.pages[0] as number) + 0x1234, bytes: 4096 }]);
      const text = run("sg", String(child.pid), `0x${held.address.toString(16)}`, "4M");
      expect(text.stdout).toContain("total 4 MiB");
      const beyond = run("sg", String(child.pid), `0x${held.address.toString(16)}`, "6M");
      expect(beyond.code).toBe(1);
      expect(beyond.stderr).toContain(`0x${(held.address + 2 * PAGE_2M).toString(16)}`);
    } finally {
      await holder.stop();
    }
  });
});

describe("the README's alloc transcript", () => {
  test("has the shape of real output (numbers and addresses aside)", () => {
    if (!need("root and 8 free 2 MiB hugepages", isRoot() && freePages() >= 8)) return;
    const readme = readFileSync(join(import.meta.dir, "../README.md"), "utf8");
    const block = /```\n\$ bunx hugemem alloc 512M\n([\s\S]*?)```/.exec(readme)?.[1] ?? "";
    const shown = block.trim().split("\n");
    expect(shown.length).toBeGreaterThanOrEqual(4);
    const shape = (line: string) =>
      line
        .trim()
        .replace(/0x[0-9a-f]+/g, "H")
        .replace(/[0-9]+(\.[0-9]+)?/g, "N")
        .replace(/segments?/, "segment")
        .replace(/\s+/g, " ");
    const real = run("alloc", "16M").stdout.trim().split("\n");
    expect(real.slice(0, 3).map(shape)).toEqual(shown.slice(0, 3).map(shape));
    expect(shape(real[3] as string)).toBe(shape(shown[3] as string));
  });
});
