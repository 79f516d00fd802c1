/*
 * A client killed with SIGKILL in the middle of traffic: the simulator sees the socket close,
 * stops DMA (reset, bus master off), unmaps the client's memory and its hugepages come back.
 */
import { expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { hugepageBytesOfTree } from "@dataplane/hugemem";
import { startSim } from "../src/runtime/start.ts";
import { whenAvailable } from "./conformance-remote.ts";

const FIXTURE = new URL("./process-client-fixture.ts", import.meta.url).pathname;

interface PortView {
  model: { rx: { delivered: number }; resets: number };
  transport: {
    busMaster: boolean;
    vfioUser: { connected: boolean; dmaWindows: number; disconnects: number };
  };
}

async function until(what: string, ok: () => Promise<boolean>, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await ok())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await Bun.sleep(20);
  }
}

whenAvailable(false, "SIGKILL of a client", () => {
  test("SIGKILL of a client mid-traffic: DMA stops, the port resets, memory is released", async () => {
    const hugeBefore = hugepageBytesOfTree(); // this test's tree: no other job moves it
    const sim = await startSim({ ports: 1, wires: ["gen:rate=20k"], linkDelayMs: 1 });
    const name = `sigkill-client-${process.pid}`;
    const simMaps = () => readFileSync(`/proc/${sim.pid}/maps`, "utf8");
    try {
      const port = async () => (await sim.control(0, "stats")) as PortView;
      const client = Bun.spawn(
        [process.execPath, FIXTURE, (sim.specs[0] as string).slice(10), name],
        {
          stdout: "pipe",
          stderr: "pipe",
        },
      );
      const first = await client.stdout.getReader().read();
      expect(new TextDecoder().decode(first.value)).toContain("ready");
      await until("frames delivered", async () => (await port()).model.rx.delivered > 200);
      expect(simMaps()).toContain(`memfd:${name}`);
      const before = await port();
      expect(before.transport.vfioUser.connected).toBe(true);

      client.kill("SIGKILL");
      await client.exited;
      await until(
        "the disconnect",
        async () => !(await port()).transport.vfioUser.connected,
        20_000,
      );
      const after = await port();
      expect(after.transport.vfioUser).toMatchObject({ dmaWindows: 0, disconnects: 1 });
      expect(after.transport.busMaster).toBe(false);
      expect(after.model.resets).toBeGreaterThan(before.model.resets);
      await Bun.sleep(100);
      expect((await port()).model.rx.delivered).toBe(after.model.rx.delivered); // no more DMA
      expect(simMaps()).not.toContain(`memfd:${name}`);
    } finally {
      await sim.stop();
    }
    // The client and the simulator are gone: the tree holds what it held before, exactly.
    await until("hugepages back", async () => hugepageBytesOfTree() === hugeBefore, 20_000);
  }, 60_000);
});
