/*
 * The package stands on its own: `bun pm pack` it, install the tarball into a fresh project
 * outside the workspace, and import it from there.
 */
import { expect, test } from "bun:test";
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const run = (cmd: string[], cwd: string) => {
  const r = Bun.spawnSync(cmd, { cwd, stdout: "pipe", stderr: "pipe", env: process.env });
  const out = `${r.stdout.toString()}${r.stderr.toString()}`;
  if (r.exitCode !== 0) throw new Error(`${cmd.join(" ")} failed (${r.exitCode}):\n${out}`);
  return out;
};

test("packs, installs into a fresh project and imports", () => {
  const dir = mkdtempSync(join(tmpdir(), "dataplane-pack-"));
  try {
    run([process.execPath, "pm", "pack", "--destination", dir], join(import.meta.dir, ".."));
    const tarball = readdirSync(dir).find((f) => f.endsWith(".tgz"));
    expect(tarball).toMatch(/^dataplane-sys-\d+\.\d+\.\d+\.tgz$/);
    const project = join(dir, "project");
    run(["mkdir", "-p", project], dir);
    writeFileSync(join(project, "package.json"), '{ "name": "fresh", "private": true }\n');
    run([process.execPath, "add", join(dir, tarball as string)], project);
    writeFileSync(
      join(project, "main.ts"),
      'import { getpid, SysError, open } from "@dataplane/sys";\n' +
        "let code = '';\n" +
        "try { open('/nonexistent', 0); } catch (e) { code = (e as SysError).code; }\n" +
        "console.log(JSON.stringify({ pid: getpid() === process.pid, code }));\n",
    );
    const out = run([process.execPath, "main.ts"], project);
    expect(JSON.parse(out.trim())).toEqual({ pid: true, code: "ENOENT" });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}, 60_000);
