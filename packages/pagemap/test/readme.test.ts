import { expect, test } from "bun:test";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { freeHugePages2M, isRoot, need } from "./helpers.ts";

// The README's usage block, run as written (only the package import is pointed at src/).
test("the README example runs and prints what it says", () => {
  if (!need("root and a free 2 MiB hugepage", isRoot() && freeHugePages2M() >= 1)) return;
  const readme = readFileSync(join(import.meta.dir, "../README.md"), "utf8");
  const code = /```ts\n([\s\S]*?)```/.exec(readme)?.[1];
  expect(code).toBeDefined();
  const file = join(import.meta.dir, ".readme-example.tmp.ts");
  writeFileSync(
    file,
    (code ?? "").replace(
      '"@dataplane/pagemap"',
      JSON.stringify(join(import.meta.dir, "../src/index.ts")),
    ),
  );
  try {
    const r = Bun.spawnSync([process.execPath, file], { stdout: "pipe", stderr: "pipe" });
    expect(r.stderr.toString()).toBe("");
    expect(r.exitCode).toBe(0);
    const out = r.stdout.toString();
    expect(out).toStartWith("true [");
    expect(out).toContain('"COMPOUND_HEAD"');
    expect(out).toContain('"HUGE"');
  } finally {
    rmSync(file, { force: true });
  }
});
