import { expect, test } from "bun:test";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { freePages, isRoot, need } from "./helpers.ts";

const readme = readFileSync(join(import.meta.dir, "../README.md"), "utf8");
const blocks = [...readme.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1] ?? "");

// Every ts block of the README, run as written (only the package import is pointed at src/),
// and its output compared with the output the block shows in comments.
test("the README has its usage and range examples", () => {
  expect(blocks.length).toBe(2);
});

blocks.forEach((code, n) => {
  test(`README example ${n + 1} runs and prints what it says`, () => {
    if (!need("root and 2 free 2 MiB hugepages", isRoot() && freePages() >= 2)) return;
    const shown = [...code.matchAll(/^\/\/ (.*)$/gm)].map((m) => m[1]);
    expect(shown.length).toBeGreaterThan(0);
    const file = join(import.meta.dir, `.readme-example-${n}.${process.pid}.tmp.ts`);
    writeFileSync(
      file,
      code.replace(
        '"@dataplane/hugemem"',
        JSON.stringify(join(import.meta.dir, "../src/index.ts")),
      ),
    );
    try {
      const r = Bun.spawnSync([process.execPath, file], { stdout: "pipe", stderr: "pipe" });
      expect(r.stderr.toString()).toBe("");
      expect(r.exitCode).toBe(0);
      expect(r.stdout.toString().trim().split("\n")).toEqual(shown);
    } finally {
      rmSync(file, { force: true });
    }
  });
});
