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
  },
  0,
);
