/*
 * Against ixgbe-sim: open, link at 10G, MAC from the card's EEPROM, DMA addresses of the right
 * kind for the path (IOVA = virtual address over vfio-user, physical over sysfs), close; and a
 * card whose cable is out fails the open with LINK_TIMEOUT in the configured time.
 */
import { expect, test } from "bun:test";
import { Pagemap } from "@dataplane/pagemap";
import { addressOf } from "@dataplane/sys";
import { IxgbeError } from "../src/index.ts";
import * as R from "../src/regs/index.ts";
import { describeSim, SimRig } from "./support/sim-rig.ts";

describeSim("ixgbe-sim: init and link", (path) => {
  test("opens with the link up at 10G, reads the EEPROM MAC, and closes cleanly", async () => {
    await using rig = await SimRig.start(path, { wires: ["null", "null"] });
    const dev = await rig.open(1, { rxRingSize: 64, txRingSize: 64 });
    expect(dev.kind).toBe(path);
    expect(dev.link()).toMatchObject({ up: true, speedMbps: 10_000 });
    expect(dev.macAddress()).toBe("02:00:00:82:59:91"); // the simulator's default for port 1
    expect(dev.health()).toMatchObject({ ok: true, reset: false, stoppedRx: [], problems: [] });

    // The address the NIC gets for buffer 0 is of the kind this path needs.
    const pool = dev.rxPool(0);
    const virt = addressOf(pool.u8, pool.dataOffset[0] as number);
    const dma = (pool.dmaHi[0] as number) * 2 ** 32 + (pool.dmaLo[0] as number);
    if (path === "vfio-user") expect(dma).toBe(virt);
    else {
      expect(dma).not.toBe(virt);
      expect(dma).toBe(translatePhys(virt));
    }
    const ringBase =
      (dev.mmio.read32(R.RDBAH(0)) >>> 0) * 2 ** 32 + (dev.mmio.read32(R.RDBAL(0)) >>> 0);
    expect(ringBase % 128).toBe(0);
    expect(ringBase).not.toBe(0);
    dev.close();
    expect(dev.isClosed).toBe(true);
    dev.close(); // idempotent
    expect(() => dev.link()).toThrow(expect.objectContaining({ code: "CLOSED" }));
  });

  test("a card with its cable out fails with LINK_TIMEOUT within the configured time", async () => {
    await using rig = await SimRig.start(path, { wires: ["null"] });
    rig.call(0, "link-down");
    const t0 = performance.now();
    const err = await rig
      .open(0, { rxRingSize: 64, txRingSize: 64, timeouts: { linkMs: 300 } })
      .catch((e: unknown) => e);
    const took = performance.now() - t0;
    expect(err).toBeInstanceOf(IxgbeError);
    expect((err as IxgbeError).code).toBe("LINK_TIMEOUT");
    expect((err as IxgbeError).message).toMatch(/link still down after 300 ms \(LINKS = 0x/);
    expect((err as IxgbeError).message).toMatch(/timeouts\.linkMs.*waitForLink: false/);
    expect(took).toBeGreaterThanOrEqual(300);
    expect(took).toBeLessThan(3000); // bounded: the reset and queue steps are quick
    // With waitForLink: false the same card opens, reports the link down, and comes up later.
    const dev = await rig.open(0, { rxRingSize: 64, txRingSize: 64, waitForLink: false });
    expect(dev.link().up).toBe(false);
    rig.call(0, "link-up");
    const deadline = performance.now() + 2000;
    while (!dev.link().up && performance.now() < deadline) await Bun.sleep(5);
    expect(dev.link()).toMatchObject({ up: true, speedMbps: 10_000 });
  });
});

/** Physical address of a virtual address in this process (pagemap). */
function translatePhys(virt: number): number {
  using pm = Pagemap.open("self");
  return pm.translate(virt);
}
