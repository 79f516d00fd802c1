// The device server dies during a run: l2fwd says so in one line, still prints its summary of
// what was forwarded until then (verdict FAILED with the reason), and exits 1. No stack trace,
// no complaint about closing ports that are gone.
import { describe, expect, test } from "bun:test";
import { startSim } from "@dataplane/ixgbe-sim";
import { isRunning } from "../src/sim-process.ts";
import { missingNeeds } from "./support/e2e.ts";
import { Running } from "./support/spawn.ts";

const why = missingNeeds(28);

interface Summary {
  type: string;
  ports: { rxPackets: number }[];
  forwarded: number;
  verdict: { ok: boolean; reasons: string[] };
}

describe.skipIf(why !== null)(`l2fwd when its device server dies ${why ?? ""}`, () => {
  for (const workers of ["off", "on"] as const) {
    test(`one line, the summary so far, exit 1 (workers ${workers})`, async () => {
      const sim = await startSim({ ports: 2, wires: ["gen:rate=10k+sink"], linkDelayMs: 5 });
      let l2fwd: Running | null = null;
      try {
        const args = ["src/main.ts", ...sim.specs, "--json", "-i", "0.2", "--workers", workers];
        l2fwd = new Running(args);
        await l2fwd.waitFor(/"txMpps":0\.0[0-9]*[1-9]/); // frames flow through l2fwd
        process.kill(sim.pid, "SIGKILL");
        expect(await l2fwd.exit()).toBe(1);
        const err = l2fwd.err.trim().split("\n");
        expect(err).toHaveLength(1);
        // SIGKILL closes the server's socket: a reset (our request unread) or an orderly close.
        expect(err[0]).toMatch(
          /^l2fwd: lost the device during the run: vfio-user server (is gone|closed the connection)/,
        );
        expect(l2fwd.err).not.toContain("    at ");
        const lines = l2fwd.out.trim().split("\n");
        const summary = JSON.parse(lines[lines.length - 1] as string) as Summary;
        expect(summary.verdict.ok).toBe(false);
        expect(summary.verdict.reasons[0]).toStartWith("lost the device during the run");
        expect(summary.forwarded).toBeGreaterThan(0); // what was forwarded until then
        for (const p of summary.ports) expect(p.rxPackets).toBeGreaterThan(0);
      } finally {
        l2fwd?.kill();
        if (isRunning(sim.pid)) process.kill(sim.pid, "SIGKILL");
        await sim.stop().catch(() => {}); // it was killed: stop() reports that, which is expected
      }
    }, 60_000);
  }
});
