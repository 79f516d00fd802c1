/*
 * A port as a sysfs-style device directory: @dataplane/pci and the ixgbe driver's sysfs back-end
 * accept it; the simulator finds the client once bus master is on, serves its registers through
 * shared memory, and drops it (reset, bus master off) when it unmaps resource0.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { existsSync, readFileSync } from "node:fs";
import { openBackend } from "@dataplane/ixgbe";
import * as R from "@dataplane/ixgbe/regs";
import { deviceAccess, openDevice } from "@dataplane/pci";
import { ControlClient } from "../src/control/client.ts";
import { type SimHandle, startSim } from "../src/runtime/start.ts";
import { waitForClient, whenAvailable } from "./conformance-remote.ts";

/** Reads a client's stdout until it says "ready"; throws with its stderr if it exits first. */
async function untilReady(child: Bun.Subprocess<"ignore", "pipe", "pipe">): Promise<void> {
  const reader = child.stdout.getReader();
  let out = "";
  while (!out.includes("ready")) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`the client exited: ${await new Response(child.stderr).text()}`);
    out += new TextDecoder().decode(value);
  }
  reader.releaseLock();
}

whenAvailable(
  true,
  "sysfs serving",
  () => {
    const root = `/dev/shm/ixgbe-sim-serve-${process.pid}`;
    let sim: SimHandle;
    let ctl: ControlClient;

    interface PortView {
      model: { resets: number; link: { up: boolean } };
      transport: { busMaster: boolean; sysfs: { clientPid: number } };
    }

    beforeAll(async () => {
      if (process.getuid?.() !== 0) {
        if (process.env.CI === "true")
          throw new Error("sysfs serving tests need root (map_files, pagemap)");
      }
      sim = await startSim({ ports: 1, wires: ["null"], sysfs: root, linkDelayMs: 1 });
      ctl = new ControlClient(sim.controlPath);
    }, 60_000);
    afterAll(async () => {
      ctl.close();
      await sim.stop();
    });

    test("the directory looks like a PCI function without IOMMU and driver", () => {
      const spec = sim.sysfs[0] as string;
      const dev = openDevice(spec);
      expect(dev.info).toMatchObject({
        address: "0000:5e:00.0",
        vendor: 0x8086,
        device: 0x10fb,
        classCode: 0x020000,
        driver: null,
        iommuGroup: null,
      });
      expect(dev.info.resources[0]).toMatchObject({
        index: 0,
        size: 0x80000,
        kind: "mem",
        mappable: true,
      });
      expect(deviceAccess(dev.info).sysfs.usable).toBe(process.getuid?.() === 0);
      expect(dev.readConfig(0x10, 4) & 0xf).toBe(0x4); // 64-bit memory BAR
      expect(existsSync(`${dev.dir}/driver`) || existsSync(`${dev.dir}/iommu_group`)).toBe(false);
      expect(readFileSync(`${dev.dir}/resource`, "latin1").split("\n")[0]).toBe(
        "0x00000000f0000000 0x00000000f007ffff 0x0000000000140204",
      );
    });

    test("the ixgbe driver's sysfs back-end opens it; the client is found and later dropped", async () => {
      const spec = sim.sysfs[0] as string;
      const backend = await openBackend(spec);
      let before: PortView;
      try {
        expect(backend.kind).toBe("sysfs");
        expect(backend.deviceId).toBe(0x10fb);
        await waitForClient(ctl, process.pid);
        // Every register is shared memory: a store is seen by the model at its next poll.
        backend.bar0.write32(R.CTRL, R.CTRL_RST);
        const deadline = Date.now() + 20_000; // bounded, generous: the machine may be busy
        while ((backend.bar0.read32(R.CTRL) & R.CTRL_RST) !== 0 && Date.now() < deadline)
          await Bun.sleep(1);
        expect(backend.bar0.read32(R.CTRL) & R.CTRL_RST).toBe(0); // self-cleared by the model
        expect(
          (backend.bar0.read32(R.STATUS) >>> R.STATUS_LAN_ID_SHIFT) & R.STATUS_LAN_ID_MASK,
        ).toBe(0);
        // Counted before the client goes: the model may notice the unmap at once.
        before = (await sim.control(0, "stats")) as PortView;
      } finally {
        backend.close();
      }
      // A live client that unmapped resource0 is dropped after two checks that miss it (one
      // look at /proc can come up empty while a client changes its mappings).
      const deadline = Date.now() + 20_000;
      let after = before;
      while (after.transport.sysfs.clientPid !== -1 && Date.now() < deadline) {
        await Bun.sleep(20);
        after = (await sim.control(0, "stats")) as PortView;
      }
      expect(after.transport).toMatchObject({ busMaster: false, sysfs: { clientPid: -1 } });
      expect(after.model.resets).toBe(before.model.resets + 1);
    });

    test("a client that closed the device while the next one set it up: the next one is served, no reset", async () => {
      const spec = sim.sysfs[0] as string;
      const first = await openBackend(spec);
      await waitForClient(ctl, process.pid);
      const child = Bun.spawn(
        [
          process.execPath,
          "-e",
          `import { openBackend } from "@dataplane/ixgbe";
           const b = await openBackend(${JSON.stringify(spec)});
           console.log("ready"); setInterval(() => {}, 1e6);`,
        ],
        { cwd: import.meta.dir, stdout: "pipe", stderr: "pipe" },
      );
      try {
        const before = ((await sim.control(0, "stats")) as PortView).model.resets;
        // The driver's device lock makes the second open wait for the first close: close now.
        first.close();
        await untilReady(child);
        await waitForClient(ctl, child.pid);
        const after = (await sim.control(0, "stats")) as PortView;
        expect(after.transport.busMaster).toBe(true);
        expect(after.model.resets).toBe(before); // nothing reset under the new client's setup
      } finally {
        first.close();
        child.kill("SIGKILL");
        await child.exited;
      }
    }, 60_000);

    test("a client that exits is dropped at once, by its pidfd", async () => {
      const spec = sim.sysfs[0] as string;
      const script = `
        import { openBackend } from "@dataplane/ixgbe";
        await openBackend(${JSON.stringify(spec)});
        console.log("ready");
        setInterval(() => {}, 1e6);`;
      const child = Bun.spawn([process.execPath, "-e", script], {
        cwd: import.meta.dir,
        stdout: "pipe",
        stderr: "pipe",
      });
      try {
        await untilReady(child);
        await waitForClient(ctl, child.pid);
        child.kill("SIGKILL");
        await child.exited;
        const deadline = Date.now() + 20_000;
        let pid = child.pid;
        while (pid !== -1 && Date.now() < deadline) {
          await Bun.sleep(5);
          pid = ((await sim.control(0, "stats")) as PortView).transport.sysfs.clientPid;
        }
        expect(pid).toBe(-1);
        // Found by the exit notification, not by a later look at its maps (the log line comes
        // through the simulator's stderr pipe, which this process reads as it arrives).
        const line = `client ${child.pid} detached (client ${child.pid} exited)`;
        const mine = `client ${child.pid} detached`;
        const detaches = () =>
          sim
            .stderr()
            .split("\n")
            .filter((l) => l.includes(mine))
            .map((l) => l.slice(l.indexOf(mine)));
        while (detaches().length === 0 && Date.now() < deadline) await Bun.sleep(5);
        expect(detaches()).toEqual([line]);
      } finally {
        child.kill("SIGKILL");
      }
    }, 60_000);
  },
  0,
);
