import { expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freeHugePages, isRoot, need } from "./support.ts";

// The README's usage block, run as written, with the package imports pointed at src/ and the
// device path pointed at a sysfs-style directory of the test's own.
test("the README example runs and prints what it says", () => {
  if (!need("root and a free 2 MiB hugepage", isRoot() && freeHugePages() >= 1)) return;
  const readme = readFileSync(join(import.meta.dir, "../README.md"), "utf8");
  const code = /```ts\n([\s\S]*?)```/.exec(readme)?.[1] ?? "";
  const shown = [...code.matchAll(/^\/\/ (.*)$/gm)].map((m) => m[1]);
  expect(shown.length).toBe(2);
  const dir = mkdtempSync(`${tmpdir()}/dma-guard-readme-${process.pid}-`);
  writeFileSync(`${dir}/config`, new Uint8Array(256));
  const file = join(import.meta.dir, `.readme-example.${process.pid}.tmp.ts`);
  writeFileSync(
    file,
    code
      .replace('"@dataplane/dma-guard"', JSON.stringify(join(import.meta.dir, "../src/index.ts")))
      .replace(
        '"@dataplane/hugemem"',
        JSON.stringify(join(import.meta.dir, "../../hugemem/src/index.ts")),
      )
      .replace("/sys/bus/pci/devices/0000:03:00.0", dir),
  );
  try {
    const r = Bun.spawnSync([process.execPath, file], { stdout: "pipe", stderr: "pipe" });
    expect(r.stderr.toString()).toBe("");
    expect(r.exitCode).toBe(0);
    expect(r.stdout.toString().trim().split("\n")).toEqual(shown);
  } finally {
    rmSync(file, { force: true });
    rmSync(dir, { recursive: true, force: true });
  }
});
