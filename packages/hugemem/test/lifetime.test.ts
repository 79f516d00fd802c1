import { describe, expect, test } from "bun:test";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { status } from "../src/index.ts";
import { freeBecomes, freePages, isRoot, meminfoFree, need, PAGE_2M } from "./helpers.ts";

const HOLD = join(import.meta.dir, "fixtures/hold.ts");
const CHURN = join(import.meta.dir, "fixtures/churn.ts");

/** Starts a fixture and resolves once it printed `word`. */
async function spawnFixture(args: string[], word: string) {
  const child = Bun.spawn([process.execPath, ...args], { stdout: "pipe", stderr: "pipe" });
  const reader = child.stdout.getReader();
  let text = "";
  while (!text.includes(word)) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`fixture exited early: ${await new Response(child.stderr).text()}`);
    text += new TextDecoder().decode(value);
  }
  reader.releaseLock();
  return child;
}

describe("pages come back when a process dies", () => {
  for (const backing of ["memfd", "hugetlbfs", "anonymous"]) {
    test(`${backing}: SIGKILL after "allocated" returns HugePages_Free to its start value`, async () => {
      if (!need("root and 4 free 2 MiB hugepages", isRoot() && freePages() >= 4)) return;
      const mount = status().mounts.find((m) => m.pageSize === PAGE_2M)?.path;
      if (backing === "hugetlbfs" && !need("a 2M hugetlbfs mount", mount !== undefined)) return;
      const files = mount === undefined ? [] : readdirSync(mount);
      const start = meminfoFree();
      const child = await spawnFixture([HOLD, backing, "4"], "allocated");
      try {
        expect(await freeBecomes(start - 4)).toBe(start - 4);
        if (mount !== undefined) expect(readdirSync(mount)).toEqual(files); // unlinked while in use
      } finally {
        child.kill("SIGKILL");
        await child.exited;
      }
      expect(child.signalCode).toBe("SIGKILL");
      expect(await freeBecomes(start)).toBe(start);
      if (mount !== undefined) expect(readdirSync(mount)).toEqual(files);
    }, 60_000);
  }
});

describe("pages come back when a process is killed in the middle of allocate()", () => {
  const cases = [
    ["memfd", ""],
    ["hugetlbfs", ""],
    ["anonymous", ""],
    ["memfd", "contiguous"],
  ] as const;
  for (const [backing, contiguous] of cases) {
    test(`${backing}${contiguous ? " contiguous" : ""}: SIGKILL at random points of an allocate/close loop`, async () => {
      if (!need("root and 40 free 2 MiB hugepages", isRoot() && freePages() >= 40)) return;
      const mount = status().mounts.find((m) => m.pageSize === PAGE_2M)?.path;
      if (backing === "hugetlbfs" && !need("a 2M hugetlbfs mount", mount !== undefined)) return;
      const files = mount === undefined ? [] : readdirSync(mount);
      for (const delay of [7, 23, 41]) {
        const before = meminfoFree(); // per kill: keeps the window other processes can move short
        const child = await spawnFixture([CHURN, backing, "4", contiguous], "looping");
        await Bun.sleep(delay);
        child.kill("SIGKILL");
        await child.exited;
        expect(child.signalCode).toBe("SIGKILL");
        expect(await freeBecomes(before)).toBe(before);
        if (mount !== undefined) expect(readdirSync(mount)).toEqual(files);
      }
    }, 60_000);
  }
});
