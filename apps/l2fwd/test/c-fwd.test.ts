// tools/c-fwd, the C baseline of bench:vs-c: it builds, forwards through ixgbe-sim over sysfs
// with nothing corrupted, and breaks none of the strict model's datasheet rules.
import { describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { startSim } from "@dataplane/ixgbe-sim";
import { missingNeeds } from "./support/e2e.ts";

const why = missingNeeds(24, ["gcc"]);
const SOURCE = resolve(import.meta.dir, "../../../tools/c-fwd/c-fwd.c");

interface SinkStats {
  frames: number;
  corrupted: number;
  duplicated: number;
}

describe.skipIf(why !== null)(`tools/c-fwd ${why ?? ""}`, () => {
  test("forwards both ways over sysfs, intact, with zero rule violations", async () => {
    const dir = mkdtempSync(join(tmpdir(), "c-fwd-test-"));
    const shm = mkdtempSync("/dev/shm/c-fwd-test-");
    try {
      const bin = join(dir, "c-fwd");
      const build = Bun.spawnSync(["gcc", "-O2", "-Wall", "-Werror", "-o", bin, SOURCE], {
        stderr: "pipe",
      });
      expect(build.stderr.toString()).toBe("");
      expect(build.exitCode).toBe(0);
      const wire = "gen:rate=20k+sink";
      await using sim = await startSim({
        ports: 2,
        wires: [wire, wire],
        sysfs: shm,
        linkDelayMs: 5,
      });
      const files = sim.sysfs.map((s) => `${s.slice("sysfs:".length)}/resource0`);
      const run = Bun.spawn([bin, ...files, "--batch", "32", "--seconds", "1"], {
        stdout: "pipe",
        stderr: "pipe",
      });
      const [out, err, code] = await Promise.all([
        new Response(run.stdout).text(),
        new Response(run.stderr).text(),
        run.exited,
      ]);
      expect({ code, err }).toEqual({ code: 0, err: "" });
      const result = JSON.parse(out.trim().split("\n").at(-1) as string) as { forwarded: number };
      expect(result.forwarded).toBeGreaterThan(1000);
      const st = (await sim.stats()) as { ports: { wire: { stats: { tx: SinkStats } } }[] };
      let delivered = 0;
      for (const p of st.ports) {
        const sink = p.wire.stats.tx;
        expect(sink.frames).toBeGreaterThan(0); // both directions
        expect(sink.corrupted + sink.duplicated).toBe(0);
        delivered += sink.frames;
      }
      expect(delivered).toBeLessThanOrEqual(result.forwarded);
      const v = (await sim.control(null, "violations")) as { ports: { total: number }[] };
      expect(v.ports.map((p) => p.total)).toEqual([0, 0]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
      rmSync(shm, { recursive: true, force: true });
    }
  }, 60_000);
});
