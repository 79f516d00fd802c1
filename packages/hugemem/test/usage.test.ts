import { expect, test } from "bun:test";
import { join } from "node:path";
import { allocate, hugepageBytesOf, hugepageBytesOfTree, processTree } from "../src/index.ts";
import { freePages, isRoot, need, PAGE_2M } from "./helpers.ts";

const HOLD = join(import.meta.dir, "fixtures/hold.ts");

/** Polls `f` until it returns `value` (bounded) and returns the last value seen. */
async function becomes(f: () => number, value: number, ms = 10_000): Promise<number> {
  const end = Date.now() + ms;
  let now = f();
  while (now !== value && Date.now() < end) {
    await Bun.sleep(20);
    now = f();
  }
  return now;
}

test("a gone process holds nothing; the tree of a childless process is itself", () => {
  expect(hugepageBytesOf(2 ** 22 + 12345)).toBe(0); // above pid_max's default: no such process
  expect(processTree(process.pid)[0]).toBe(process.pid);
  expect(processTree(2 ** 22 + 12345)).toEqual([2 ** 22 + 12345]);
});

test("the tree's usage counts this process's pages and a child's, and drops when they go", async () => {
  if (!need("root and 6 free 2 MiB hugepages", isRoot() && freePages() >= 6)) return;
  const start = hugepageBytesOfTree();
  {
    using region = allocate({ bytes: 2 * PAGE_2M, name: "usage-test" });
    region.u8[0] = 1;
    expect(hugepageBytesOfTree()).toBe(start + 2 * PAGE_2M);
    expect(hugepageBytesOf(process.pid)).toBeGreaterThanOrEqual(2 * PAGE_2M);
  }
  expect(hugepageBytesOfTree()).toBe(start);

  const child = Bun.spawn([process.execPath, HOLD, "memfd", "3"], { stdout: "pipe" });
  try {
    const reader = child.stdout.getReader();
    let text = "";
    while (!text.includes("allocated")) {
      const { value, done } = await reader.read();
      if (done) throw new Error("the fixture exited before allocating");
      text += new TextDecoder().decode(value);
    }
    expect(processTree(process.pid)).toContain(child.pid);
    expect(hugepageBytesOf(child.pid)).toBe(3 * PAGE_2M);
    expect(hugepageBytesOfTree()).toBe(start + 3 * PAGE_2M);
  } finally {
    child.kill("SIGKILL");
    await child.exited;
  }
  expect(await becomes(() => hugepageBytesOfTree(), start)).toBe(start);
});
