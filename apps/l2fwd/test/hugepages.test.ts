import { afterAll, describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { L2fwdError } from "../src/errors.ts";
import {
  ensureHugepages,
  hugememPool,
  hugepagesNeeded,
  readStatus,
  sysfsPool,
} from "../src/hugepages.ts";
import { openPorts } from "../src/ports.ts";
import { embeddedConfig, missingNeeds } from "./support/e2e.ts";
import { FakeHugepagePool } from "./support/fake-kernel.ts";

const root = mkdtempSync(join(tmpdir(), "l2fwd-sysfs-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const DEFAULTS = { queues: 1, ringSize: 512, batch: 32 };
const errorOf = (f: () => unknown): L2fwdError => {
  try {
    f();
  } catch (e) {
    if (e instanceof L2fwdError) return e;
    throw e;
  }
  throw new Error("no error");
};

describe("hugepagesNeeded", () => {
  test("defaults: 2 ports x (1 queue x (2 RX pool pages + 1 TX pool page) + 1 ring page) = 8", () => {
    expect(hugepagesNeeded(DEFAULTS)).toEqual({
      pages: 8,
      ports: 2,
      queues: 1,
      buffersPerPool: 2048, // 2 x 512 + 32 -> next power of two
      pagesPerPool: 2, // 2048 x 2 KiB = 4 MiB
      txBuffersPerPool: 576, // 512 + 64: 1.1 MiB
      txPagesPerPool: 1,
      ringPagesPerPort: 1, // 2 rings x 512 x 16 B = 16 KiB, one block per port
    });
  });

  test("grows with queues and ring sizes", () => {
    // ring 4096: RX pool 16384 buffers (16 pages), TX pool 4160 (5 pages), 32 rings 2 MiB.
    expect(hugepagesNeeded({ queues: 16, ringSize: 4096, batch: 512 }).pages).toBe(
      2 * (16 * (16 + 5) + 1),
    );
    expect(hugepagesNeeded({ queues: 2, ringSize: 64, batch: 1 }).pages).toBe(2 * (2 * 2 + 1));
    // ring 2048: RX pool 8192 buffers (8 pages), TX pool 2112 (3 pages), rings 64 KiB.
    expect(hugepagesNeeded({ queues: 1, ringSize: 2048, batch: 32 }).pages).toBe(24);
  });
});

describe("reading sysfs", () => {
  test("reads nr/free/resv from a sysfs-shaped directory", () => {
    const dir = join(root, "hugepages-2048kB");
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, "nr_hugepages"), "1024\n");
    writeFileSync(join(dir, "free_hugepages"), "100\n");
    writeFileSync(join(dir, "resv_hugepages"), "30\n");
    expect(readStatus(sysfsPool(root))).toEqual({
      pageBytes: 2 << 20,
      total: 1024,
      free: 100,
      reserved: 30,
      available: 70,
    });
  });

  test("a missing pool directory is a HUGEPAGES error that names it", () => {
    const e = errorOf(() => readStatus(sysfsPool(join(root, "nope"))));
    expect(e.code).toBe("HUGEPAGES");
    expect(e.message).toContain(join(root, "nope", "hugepages-2048kB"));
    expect(e.message).toContain("CONFIG_HUGETLBFS");
  });

  test("a file with junk in it is reported", () => {
    const dir = join(root, "junk", "hugepages-2048kB");
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, "nr_hugepages"), "lots\n");
    expect(errorOf(() => readStatus(sysfsPool(join(root, "junk")))).message).toContain(
      'holds "lots"',
    );
  });

  test("the real pool reads on this machine when it has one", () => {
    let s: ReturnType<typeof readStatus>;
    try {
      s = readStatus();
    } catch (e) {
      if (process.env.CI === "true") throw e;
      console.warn(`skipped: no 2 MiB hugepage pool here (${(e as Error).message})`);
      return;
    }
    expect(s.free).toBeLessThanOrEqual(s.total + 1_000_000);
    expect(s.available).toBeGreaterThanOrEqual(0);
  });
});

describe("ensureHugepages", () => {
  const need = hugepagesNeeded(DEFAULTS);

  test("enough free pages: nothing to do, nothing written", () => {
    const pool = new FakeHugepagePool(64, 0);
    const r = ensureHugepages(need, { fs: pool, euid: 1000 });
    expect(r).toMatchObject({ message: null, added: 0, restore: null });
    expect(pool.writes).toEqual([]);
  });

  test("not root: says how many are needed and exactly what to run", () => {
    const pool = new FakeHugepagePool(10, 8); // 2 free, 8 needed
    const e = errorOf(() => ensureHugepages(need, { fs: pool, euid: 1000 }));
    expect(e.code).toBe("HUGEPAGES");
    expect(e.message).toBe(
      "not enough hugepages: this run needs 8 x 2 MiB = 16 MiB: 2 ports x (1 queue x (2 pages for 2048 RX buffers + 1 for 576 TX buffers) + 1 for the rings); only 2 are free. " +
        `As root, run: echo 16 > ${pool.path}/nr_hugepages   (or: sudo bunx @dataplane/hugemem reserve 16); ` +
        "or start l2fwd as root and it reserves them for the run.",
    );
    expect(pool.writes).toEqual([]);
  });

  test("root: reserves the shortfall, says so, and gives exactly that back", () => {
    const pool = new FakeHugepagePool(10, 8);
    const r = ensureHugepages(need, { fs: pool, euid: 0 });
    expect(r.message).toBe(
      "reserved 6 more 2 MiB hugepages for this run (nr_hugepages 10 -> 16); they are given back at exit",
    );
    expect(pool.total).toBe(16);
    pool.total += 4; // someone else grows the pool meanwhile
    r.restore?.();
    r.restore?.(); // idempotent
    expect(pool.total).toBe(14);
    expect(pool.writes).toEqual([16, 14]);
  });

  test("root, but the kernel cannot supply enough: error, and the partial reservation is undone", () => {
    const pool = new FakeHugepagePool(10, 8, 12);
    const e = errorOf(() => ensureHugepages(need, { fs: pool, euid: 0 }));
    expect(e.message).toContain("asked the kernel for 6 more but only 4 are available now");
    expect(e.message).toContain("hugepages=N on the kernel command line");
    expect(pool.total).toBe(10);
  });

  test("root with a real sysfs-shaped directory writes nr_hugepages", () => {
    const dir = join(root, "w", "hugepages-2048kB");
    mkdirSync(dir, { recursive: true });
    for (const [f, v] of [
      ["nr_hugepages", 4],
      ["free_hugepages", 4],
      ["resv_hugepages", 0],
    ] as const) {
      writeFileSync(join(dir, f), `${v}\n`);
    }
    // A plain directory does not grow free_hugepages like the kernel: the check must notice.
    const e = errorOf(() => ensureHugepages(need, { fs: sysfsPool(join(root, "w")), euid: 0 }));
    expect(e.message).toContain("only 4 are available");
    expect(readFileSync(join(dir, "nr_hugepages"), "utf8").trim()).toBe("4");
  });
});

test("the default pool (through @dataplane/hugemem) agrees with sysfs", () => {
  let viaHugemem: ReturnType<typeof readStatus>;
  try {
    viaHugemem = readStatus(hugememPool());
  } catch (e) {
    if (process.env.CI === "true") throw e;
    console.warn(`skipped: no 2 MiB hugepage pool here (${(e as Error).message})`);
    return;
  }
  const direct = readStatus(sysfsPool());
  expect(viaHugemem.total).toBe(direct.total); // free may move: others use hugepages meanwhile
  expect(viaHugemem.available).toBeLessThanOrEqual(viaHugemem.free);
});

// Against a real open: the pages the driver maps for both ports are what the precheck asks.
const realWhy = missingNeeds(24);

describe.skipIf(realWhy !== null)(`hugepagesNeeded against the driver ${realWhy ?? ""}`, () => {
  for (const o of [{ ringSize: 2048 }, { ringSize: 512, queues: 2, batch: 64 }]) {
    test(`ring ${o.ringSize}, ${o.queues ?? 1} queue(s): pages mapped = pages needed`, async () => {
      const config = embeddedConfig({ ...o, sim: { rate: "1k" } });
      const set = await openPorts(config, { sim: { linkDelayMs: 5 }, notice: () => {} });
      try {
        expect(driverPages()).toBe(hugepagesNeeded(config).pages);
      } finally {
        set.close();
        await set.closed;
      }
      expect(driverPages()).toBe(0);
    }, 60_000);
  }
});

/** 2 MiB pages of driver memory (hugemem memfds) mapped in this process, each file once. */
function driverPages(): number {
  const bytes = new Map<string, number>();
  for (const line of readFileSync("/proc/self/maps", "utf8").split("\n")) {
    if (!line.includes("memfd:hugemem")) continue;
    const [range, , , , inode] = line.split(/\s+/);
    const [start, end] = (range ?? "").split("-").map((h) => Number.parseInt(h, 16));
    const key = inode ?? "";
    bytes.set(key, Math.max(bytes.get(key) ?? 0, (end as number) - (start as number)));
  }
  let total = 0;
  for (const b of bytes.values()) total += b;
  return total / (2 << 20);
}
