/*
 * Against ixgbe-sim over vfio-user (the sysfs path has no interrupts): an interrupt-mode RX
 * queue sleeps in waitForRx until the card signals the MSI-X eventfd for an arriving frame,
 * and an idle wait ends at its timeout.
 */
import { expect, test } from "bun:test";
import { IxgbeError } from "../src/index.ts";
import { testFrame } from "./support/sim-frames.ts";
import { describeSim, SimRig } from "./support/sim-rig.ts";

describeSim("ixgbe-sim: interrupts", (path) => {
  if (path === "sysfs") {
    test("interrupt queues are refused without an IRQ back-end", async () => {
      await using rig = await SimRig.start(path, { wires: ["null"] });
      const err = await rig
        .open(0, { rxRingSize: 64, txRingSize: 64, interruptQueues: [0] })
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(IxgbeError);
    });
    return;
  }
  test("waitForRx wakes on the MSI-X eventfd when a frame arrives; idle waits time out", async () => {
    await using rig = await SimRig.start(path, { wires: ["queue"] });
    const dev = await rig.open(0, { rxRingSize: 64, txRingSize: 64, interruptQueues: [0] });
    const t0 = performance.now();
    expect(dev.waitForRx(0, 100)).toBe(false);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(90);

    const bufs = new Uint32Array(8);
    for (let round = 0; round < 3; round++) {
      const irqs = rig.model(0).interrupts.total;
      rig.inject(0, [testFrame(round)]);
      expect(dev.waitForRx(0, 2000)).toBe(true);
      expect(dev.rxBatch(0, bufs, 8)).toBe(1);
      dev.rxPool(0).freeOne(bufs[0] as number);
      expect(rig.model(0).interrupts.total).toBeGreaterThan(irqs);
    }
    expect(dev.waitForRx(0, 50)).toBe(false);
  });
});
