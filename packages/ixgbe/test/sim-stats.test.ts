/*
 * Against ixgbe-sim: statistics read many times during traffic. Over vfio-user the RX queue
 * counters (QPRC, QBRC, QPRDC) sit in the mapped queue pages, where the model keeps running
 * totals; the driver must difference them, so the totals equal what each queue delivered no
 * matter how often readStats() runs, and survive a reset behind the driver's back.
 *
 * Over sysfs the model shares all of BAR0 as an ordinary file, where its counters also run
 * free (a read there reaches no device logic); the driver knows a BAR file outside /sys for
 * what it is and differences every counter, so the same checks hold on both paths.
 */
import { expect, test } from "bun:test";
import { drainAndSettle, receive } from "./support/sim-receive.ts";
import { describeSim, SimRig, until } from "./support/sim-rig.ts";

const QUEUES = 4;
const OPTS = { rxQueues: QUEUES, rxRingSize: 128, txRingSize: 64 };

describeSim("ixgbe-sim: statistics read during traffic", (path) => {
  test("per-queue QPRC/QBRC over many readStats() calls equal the frames and bytes each queue delivered", async () => {
    await using rig = await SimRig.start(path, { wires: ["gen:rate=20k,flows=64"] });
    const dev = await rig.open(0, OPTS);
    const perQueue = new Array<number>(QUEUES).fill(0);
    const bytes = new Array<number>(QUEUES).fill(0);
    const total = () => perQueue.reduce((a, b) => a + b, 0);
    // At least 20 statistics reads during traffic, however slowly a busy machine lets this run.
    let reads = 0;
    while (reads < 20) reads += await receive(dev, perQueue, bytes, 100);
    rig.call(0, "link-down"); // no more frames; take what is left in the rings
    await drainAndSettle(dev, perQueue, bytes, () => rig.model(0).rx.delivered);
    expect(total()).toBeGreaterThan(2000);
    expect(perQueue.every((n) => n > 0)).toBe(true);
    // Over sysfs the model republishes its counters in the shared file at its next loop pass.
    const settled = () => {
      const r = dev.readStats();
      const drops = r.rxQueues.reduce((n, q) => n + q.dropped, 0);
      return r.rxPackets === total() && r.macRxPackets === total() + drops;
    };
    await until(settled, 20_000, "the counters to settle");
    const s = dev.readStats();
    expect(s.rxQueues.map((q) => q.packets)).toEqual(perQueue);
    expect(s.rxQueues.map((q) => q.swPackets)).toEqual(perQueue);
    expect(s.rxQueues.map((q) => q.bytes)).toEqual(bytes); // as the model counts: no CRC
    const model = rig.model(0);
    const dropped = s.rxQueues.reduce((n, q) => n + q.dropped, 0);
    expect(model.rx.delivered).toBe(total());
    expect(dropped).toBe(model.rx.dropped.noDescriptor ?? 0); // QPRDC
    expect(s.rxPackets).toBe(total()); // the queues' QPRC: what reached the host
    expect(s.macRxPackets).toBe(total() + dropped); // GPRC: trapped, clear-on-read
  }, 60_000);

  // vfio-user only: over sysfs the model itself reported no no-descriptor drops in this
  // scenario (its own count, before the driver's counting comes in), so it cannot be judged.
  test.skipIf(path === "sysfs")(
    "QPRDC over many reads equals the model's no-descriptor drops",
    async () => {
      await using rig = await SimRig.start(path, { wires: ["gen:rate=50k,flows=16"] });
      const dev = await rig.open(0, { ...OPTS, rxQueues: 1 });
      const pool = dev.rxPool(0);
      const held = new Uint32Array(pool.available);
      expect(pool.allocBatch(held, held.length)).toBe(held.length); // the ring cannot refill
      const perQueue = [0];
      for (let k = 0; k < 8; k++) {
        dev.readStats();
        await Bun.sleep(15);
        await receive(dev, perQueue, [0], 5);
      }
      rig.call(0, "link-down");
      await Bun.sleep(20);
      const dropped = rig.model(0).rx.dropped.noDescriptor as number;
      expect(dropped).toBeGreaterThan(100);
      expect(dev.readStats().rxQueues[0]?.dropped).toBe(dropped);
      pool.freeBatch(held, held.length);
    },
    15_000,
  );

  // Over sysfs the model republishes its counters in the shared file lazily after a reset it
  // was told to do, so the restart can be seen late; a real card's counters clear on read and
  // have no such window. Known limit of the model's sysfs mode, checked over vfio-user.
  test.skipIf(path === "sysfs")(
    "a reset behind the driver's back: counts from before and after it add up",
    async () => {
      await using rig = await SimRig.start(path, { wires: ["gen:rate=100k,flows=64"] });
      const dev = await rig.open(0, OPTS);
      const perQueue = new Array<number>(QUEUES).fill(0);
      const bytes = new Array<number>(QUEUES).fill(0);
      await receive(dev, perQueue, bytes, 300);
      const delivered = () => rig.model(0).rx.delivered;
      rig.call(0, "link-down");
      // Everything delivered is received and counted before the reset takes the counters to 0.
      await drainAndSettle(dev, perQueue, bytes, delivered);
      rig.call(0, "reset"); // counters back to 0 in the model
      await until(() => dev.health().reset, 20_000, "the reset");
      dev.readStats(); // sees the counters restart
      rig.call(0, "link-up");
      await dev.recover();
      await receive(dev, perQueue, bytes, 300);
      rig.call(0, "link-down");
      await drainAndSettle(dev, perQueue, bytes, delivered);
      const s = dev.readStats();
      expect(rig.model(0).resets).toBeGreaterThanOrEqual(2); // ours and the one we asked for
      expect(s.rxQueues.map((q) => q.packets)).toEqual(perQueue);
      expect(s.rxQueues.map((q) => q.bytes)).toEqual(bytes);
    },
    15_000,
  );
});
