import { expect, test } from "bun:test";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { freePages, isRoot, need } from "./helpers.ts";

// The README's usage block, run as written (only the package import is pointed at src/), and
// its output compared with the output the README shows in comments.
test("the README example runs and prints what it says", () => {
  if (!need("root and 2 free 2 MiB hugepages", isRoot() && freePages() >= 2)) return;
  const readme = readFileSync(join(import.meta.dir, "../README.md"), "utf8");
  const code = /```ts\n([\s\S]*?)```/.exec(readme)?.[1] ?? "";
  const shown = [...code.matchAll(/^\/\/ (.*)$/gm)].map((m) => m[1]);
  expect(shown.length).toBe(4);
  const file = join(import.meta.dir, ".readme-example.tmp.ts");
  writeFileSync(
    file,
    code.replace('"@dataplane/hugemem"', JSON.stringify(join(import.meta.dir, "../src/index.ts"))),
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
