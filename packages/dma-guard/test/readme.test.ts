import { expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freeHugePages, isRoot, need } from "./support.ts";

const readme = readFileSync(join(import.meta.dir, "../README.md"), "utf8");

/** The first ```ts block after the heading `## <section>`. */
function block(section: string): string {
  const from = readme.indexOf(`\n## ${section}\n`);
  expect(from).toBeGreaterThan(0);
  return /```ts\n([\s\S]*?)```/.exec(readme.slice(from))?.[1] ?? "";
}

/**
 * Runs a README block as written, with the package imports pointed at src/ (in the code it
 * spawns too), and checks that it prints what its trailing comments show.
 */
function runsAsShown(code: string, lines: number): void {
  // The comment lines that end the block (earlier comments explain the code).
  const trailer = /\n((?:\/\/ .*\n)+)$/.exec(code)?.[1] ?? "";
  const shown = trailer
    .trim()
    .split("\n")
    .map((line) => line.slice(3));
  expect(shown.length).toBe(lines);
  const file = join(import.meta.dir, `.readme-example.${process.pid}.tmp.ts`);
  writeFileSync(
    file,
    code
      .replaceAll(
        '"@dataplane/dma-guard"',
        JSON.stringify(join(import.meta.dir, "../src/index.ts")),
      )
      .replaceAll(
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
}

// The Install section's example: an owner killed with SIGKILL, a config file for a device.
test("the Install example shows Bus Master Enable cleared before the memory goes", () => {
  if (!need("root and a free 2 MiB hugepage", isRoot() && freeHugePages() >= 1)) return;
  runsAsShown(block("Install"), 2);
});

// The Usage block, with the device path pointed at a sysfs-style directory of the test's own.
test("the Usage example runs and prints what it says", () => {
  if (!need("root and a free 2 MiB hugepage", isRoot() && freeHugePages() >= 1)) return;
  const dir = mkdtempSync(`${tmpdir()}/dma-guard-readme-${process.pid}-`);
  writeFileSync(`${dir}/config`, new Uint8Array(256));
  try {
    runsAsShown(block("Usage").replace("/sys/bus/pci/devices/0000:03:00.0", dir), 2);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
