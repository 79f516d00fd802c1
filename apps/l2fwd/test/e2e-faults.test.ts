// Faults during traffic: a link flap and a device reset are reported and forwarding resumes;
// l2fwd killed with SIGKILL leaves a simulator that reset the device and holds nothing of it.
import { describe, expect, test } from "bun:test";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startSim } from "@dataplane/ixgbe-sim";
import { isRunning } from "../src/sim-process.ts";
import {
  embeddedConfig,
  forwardOnce,
  hugepagesBack,
  hugepagesOfTree,
  missingNeeds,
  settings,
} from "./support/e2e.ts";
import { Running } from "./support/spawn.ts";

const why = missingNeeds(28);

interface Line {
  type: string;
  elapsed: number;
  port?: number;
  kind?: string;
  message?: string;
  ports?: { txMpps: number }[];
}

describe.skipIf(why !== null)(`l2fwd faults ${why ?? ""}`, () => {
  for (const workers of ["off", "on"] as const) {
    test(`link flap and device reset: reported, and forwarding resumes after each (workers ${workers})`, async () => {
      const start = hugepagesOfTree();
      const config = embeddedConfig({ ringSize: 2048, sim: { rate: "10k" } });
      const lines: Line[] = [];
      // Until stopped: each step waits for what it needs to see, however slow the machine is.
      const s = settings(config, { duration: 0, interval: 0.1, quiet: false, json: true, workers });
      const events = () => lines.filter((l) => l.type === "event");
      const at = (port: number, kind: string) =>
        events().find((e) => e.port === port && e.kind === kind)?.elapsed ?? Number.NaN;
      /** Waits for a statistics line, wholly after `t`, in which every port transmitted. */
      const forwardingAfter = (t: number) =>
        waitFor(async () =>
          lines.some(
            (l) =>
              l.type === "interval" &&
              l.elapsed > t + s.interval &&
              (l.ports ?? []).length === 2 &&
              (l.ports ?? []).every((p) => p.txMpps > 0),
          )
            ? true
            : null,
        );
      const seen = (port: number, kind: string) =>
        waitFor(async () => (Number.isNaN(at(port, kind)) ? null : at(port, kind)));
      const { summary } = await forwardOnce(
        config,
        s,
        async (set, stop) => {
          const sim = set.sim;
          if (sim === null) throw new Error("no embedded model");
          await forwardingAfter(0);
          await sim.control(0, "link-flap", { ms: 200 });
          await forwardingAfter(await seen(0, "link-up")); // both directions again after the flap
          await sim.control(1, "reset");
          await forwardingAfter(await seen(1, "recovered")); // and after the reset
          stop();
        },
        (l) => lines.push(JSON.parse(l) as Line),
      );
      expect(at(0, "link-down")).toBeLessThan(at(0, "link-up"));
      expect(at(1, "fault")).toBeGreaterThan(at(0, "link-up"));
      expect(events().find((e) => e.kind === "fault")?.message).toContain("device reset");
      expect(at(1, "recovered")).toBeGreaterThanOrEqual(at(1, "fault"));
      // Only the port that failed was touched.
      expect(
        events().filter((e) => e.port === 0 && (e.kind === "fault" || e.kind === "recovered")),
      ).toEqual([]);
      // Frames lost in the rings at the reset are within the in-flight allowance.
      expect(summary.verdict.reasons).toEqual([]);
      expect(await hugepagesBack(start)).toBe(start);
    }, 60_000);
  }

  test("a second Ctrl-C exits 130 at once and leaves no model process or socket directory", async () => {
    const start = hugepagesOfTree();
    const tmp = mkdtempSync(join(tmpdir(), "l2fwd-force-"));
    let l2fwd: Running | null = null;
    try {
      // The model makes its socket directory under TMPDIR: a private one shows what is left.
      l2fwd = new Running(["src/main.ts", "-d", "0", "--json", "-i", "0.2"], { TMPDIR: tmp });
      await l2fwd.waitFor(/"txMpps":0\.0[0-9]*[1-9]/, 15_000);
      expect(readdirSync(tmp).length).toBe(1); // ixgbe-sim-XXXXXX
      l2fwd.proc.kill("SIGINT");
      // The first one was taken (l2fwd says so), and it is now draining for 200 ms: the second.
      const running = l2fwd;
      await waitFor(async () => (running.err.includes("SIGINT: stopping") ? true : null));
      l2fwd.proc.kill("SIGINT");
      expect(await l2fwd.exit()).toBe(130);
      expect(l2fwd.err).toContain("SIGINT again: exiting now");
      expect(readdirSync(tmp)).toEqual([]);
      expect(processesMentioning(tmp)).toEqual([]);
    } finally {
      l2fwd?.kill();
      rmSync(tmp, { recursive: true, force: true });
    }
    expect(await hugepagesBack(start)).toBe(start);
  }, 60_000);

  test("SIGKILL of l2fwd: its embedded model exits and leaves no socket directory", async () => {
    const tmp = mkdtempSync(join(tmpdir(), "l2fwd-kill-"));
    let l2fwd: Running | null = null;
    try {
      l2fwd = new Running(["src/main.ts", "-d", "0", "--json", "-i", "0.2"], { TMPDIR: tmp });
      await l2fwd.waitFor(/"txMpps":0\.0[0-9]*[1-9]/);
      expect(readdirSync(tmp).length).toBe(1); // ixgbe-sim-XXXXXX
      const model = processesMentioning(tmp);
      expect(model.length).toBeGreaterThan(0);
      l2fwd.proc.kill("SIGKILL");
      await l2fwd.exit();
      // The model notices its parent is gone, stops, and removes the directory it was given.
      await waitFor(async () => (model.every((pid) => !isRunning(pid)) ? true : null));
      expect(readdirSync(tmp)).toEqual([]);
    } finally {
      l2fwd?.kill();
      for (const pid of processesMentioning(tmp)) process.kill(pid, "SIGKILL");
      rmSync(tmp, { recursive: true, force: true });
    }
  }, 60_000);

  test("SIGKILL: the model resets the device and keeps nothing of l2fwd's memory", async () => {
    const start = hugepagesOfTree();
    const sim = await startSim({ ports: 2, wires: ["gen:rate=10k+sink"], linkDelayMs: 5 });
    let l2fwd: Running | null = null;
    try {
      const args = ["src/main.ts", ...sim.specs, "--json", "-i", "0.2"];
      l2fwd = new Running(args);
      await l2fwd.waitFor(/"txMpps":0\.0[0-9]*[1-9]/, 15_000); // frames flow through l2fwd
      const before = (await sim.stats()) as SimStats;
      expect(before.ports.map((p) => p.transport.vfioUser.connected)).toEqual([true, true]);
      expect(clientMappings(sim.pid)).toBeGreaterThan(0);
      l2fwd.proc.kill("SIGKILL");
      await l2fwd.exit();
      const after = await waitFor(async () => {
        const st = (await sim.stats()) as SimStats;
        return st.ports.every((p) => !p.transport.vfioUser.connected) ? st : null;
      });
      expect(isRunning(sim.pid)).toBe(true);
      after.ports.forEach((p, i) => {
        expect(p.model.resets).toBeGreaterThan(before.ports[i]?.model.resets ?? 0);
        expect(p.transport.busMaster).toBe(false);
      });
      expect(clientMappings(sim.pid)).toBe(0);
    } finally {
      l2fwd?.kill();
      await sim.stop();
    }
    expect(await hugepagesBack(start)).toBe(start);
  }, 60_000);
});

interface SimStats {
  ports: {
    model: { resets: number };
    transport: { busMaster: boolean; vfioUser: { connected: boolean } };
  }[];
}

// Pids of processes whose command line mentions `text` (a model started with that socket dir).
function processesMentioning(text: string): number[] {
  const pids: number[] = [];
  for (const d of readdirSync("/proc")) {
    if (!/^\d+$/.test(d)) continue;
    try {
      if (readFileSync(`/proc/${d}/cmdline`, "utf8").includes(text)) pids.push(Number(d));
    } catch {
      // gone meanwhile
    }
  }
  return pids;
}

// Mappings of the client's hugepage memfds (the driver's rings and pools) in process `pid`.
function clientMappings(pid: number): number {
  return readFileSync(`/proc/${pid}/maps`, "utf8")
    .split("\n")
    .filter((l) => l.includes("memfd:hugemem")).length;
}

async function waitFor<T>(probe: () => Promise<T | null>, ms = 20_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v !== null) return v;
    if (Date.now() > end) throw new Error(`condition not met within ${ms} ms`);
    await Bun.sleep(20);
  }
}
