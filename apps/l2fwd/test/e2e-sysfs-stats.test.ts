// l2fwd over two sysfs-mode ports of an ixgbe-sim process: its per-port statistics equal the
// frames that really went through. In sysfs mode the model's clear-on-read counters run free
// (it never sees a read); a driver that summed every read would report several times the truth.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type SimHandle, startSim } from "@dataplane/ixgbe-sim";
import { missingNeeds } from "./support/e2e.ts";
import { Running } from "./support/spawn.ts";

const why = missingNeeds(24);
const N = 2000;

/** A 60-byte UDP-ish frame numbered `seq` (the forwarder's touch mode changes one byte). */
function frame(seq: number): string {
  const f = Buffer.alloc(60);
  f.set([0x02, 0, 0, 0, 0, 0x01, 0x02, 0, 0, 0, 0, 0x02, 0x08, 0x00], 0);
  f.writeUInt32BE(seq, 40);
  return f.toString("hex");
}

/** Frames the model's port sent to its queue wire since the last call. */
async function sentCount(sim: SimHandle, port: number): Promise<number> {
  const r = (await sim.control(port, "sent")) as { frames: readonly string[] };
  return r.frames.length;
}

describe.skipIf(why !== null)(`l2fwd statistics over sysfs ${why ?? ""}`, () => {
  let dir = "";
  let sim: SimHandle;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "l2fwd-sysfs-"));
    sim = await startSim({ ports: 2, wires: ["queue", "queue"], sysfs: dir, linkDelayMs: 5 });
  });
  afterAll(async () => {
    await sim?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test("per-port rx/tx packets equal the frames injected and sent, exactly", async () => {
    const [dev0, dev1] = sim.sysfs as [string, string];
    const run = new Running([
      "src/main.ts",
      dev0,
      dev1,
      "--json",
      "--interval",
      "0.2",
      "--duration",
      "0",
      "--ring",
      "512",
      "--workers",
      "off",
    ]);
    try {
      // The first statistics line: forwarding runs and its first snapshot is taken.
      await run.waitFor(/"rxMpps"/, 30_000);
      let injected = 0;
      let sent = 0;
      for (let seq = 0; seq < N; seq += 250) {
        const hex = Array.from({ length: 250 }, (_, k) => frame(seq + k));
        const r = (await sim.control(0, "inject", { frames: hex })) as { accepted: number };
        injected += r.accepted;
        // Keep fewer frames in flight than a ring holds: none may be dropped for lack of room.
        const end = Date.now() + 20_000;
        while (sent < injected && Date.now() < end) {
          sent += await sentCount(sim, 1);
          if (sent < injected) await Bun.sleep(5);
        }
      }
      expect(injected).toBe(N);
      expect(sent).toBe(N);

      // Several statistics reads happen during the run (one per 0.2 s line, and the summary).
      run.proc.kill("SIGINT");
      expect(await run.exit()).toBe(0);
      const lines = run.out.trim().split("\n");
      const summary = JSON.parse(lines[lines.length - 1] as string) as {
        ports: { rxPackets: number; txPackets: number; rxDropped: number }[];
      };
      const [p0, p1] = summary.ports as [(typeof summary.ports)[0], (typeof summary.ports)[0]];
      expect(p0.rxPackets).toBe(N);
      expect(p0.rxDropped).toBe(0);
      expect(p1.txPackets).toBe(N);
      expect(p1.rxPackets).toBe(0);
      expect(p0.txPackets).toBe(0);
    } finally {
      run.kill();
      await run.exit();
    }
  }, 90_000);
});
