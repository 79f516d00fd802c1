import { expect, test } from "bun:test";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { geteuid } from "@dataplane/sys";

function need(what: string, ok: boolean): boolean {
  if (ok) return true;
  if (process.env.CI === "true")
    throw new Error(`needs ${what} (CI=true: this must not be skipped)`);
  console.warn(`skipped: needs ${what}`);
  return false;
}

const freePages = (): number =>
  Number(readFileSync("/sys/kernel/mm/hugepages/hugepages-2048kB/free_hugepages", "utf8"));

// The README's usage block, run as written (package imports pointed at src/), its output compared
// with the output the README shows in comments.
test("the README example runs and prints what it says", () => {
  if (!need("root and a free 2 MiB hugepage", geteuid() === 0 && freePages() >= 1)) return;
  const readme = readFileSync(join(import.meta.dir, "../README.md"), "utf8");
  const code = /```ts\n([\s\S]*?)```/.exec(readme)?.[1] ?? "";
  const shown = [...code.matchAll(/^\/\/ (.*)$/gm)].map((m) => m[1]);
  expect(shown.length).toBe(3);
  const file = join(import.meta.dir, `.readme-example.${process.pid}.tmp.ts`);
  writeFileSync(
    file,
    code
      .replace('"@dataplane/dmapool"', JSON.stringify(join(import.meta.dir, "../src/index.ts")))
      .replace(
        '"@dataplane/hugemem"',
        JSON.stringify(join(import.meta.dir, "../../hugemem/src/index.ts")),
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
