/*
 * Against ixgbe-sim, over vfio-user and sysfs: the driver's statistics equal what the model
 * counted (the same numbers on both paths), and, where the model judges the datasheet's rules
 * (its `violations` control command), init, traffic, a reset behind the driver's back,
 * recover() and close() break none of them.
 */
import { expect, test } from "bun:test";
import { COMMANDS } from "../../ixgbe-sim/src/control/commands.ts";
import type { IxgbeDevice } from "../src/index.ts";
import { receive as receiveInto } from "./support/sim-receive.ts";
import { describeSim, SimRig as Rig, type SimRig, until } from "./support/sim-rig.ts";

const QUEUES = 4;
const OPTS = { rxQueues: QUEUES, txQueues: QUEUES, rxRingSize: 128, txRingSize: 64 };

/**
 * Whether the model on this tree is the strict one (it judges the datasheet's rules through its
 * `violations` control command, and counts GORC without CRC while the CRC is stripped).
 */
const STRICT_MODEL = "violations" in COMMANDS;

/** The model's violation report for one port (the strict model's shape). */
interface ViolationReport {
  readonly mode: string;
  readonly total: number;
  readonly rules: readonly { rule: string; count: number; detail: string }[];
}

/** Software totals of what the driver received, per queue. */
class Received {
  readonly packets = new Array<number>(QUEUES).fill(0);
  readonly bytes = new Array<number>(QUEUES).fill(0);
  get total(): number {
    return this.packets.reduce((a, b) => a + b, 0);
  }
}

/** Receives on every queue for `ms` (reading statistics every 20 ms); returns the reads. */
const receive = (dev: IxgbeDevice, got: Received, ms: number): Promise<number> =>
  receiveInto(dev, got.packets, got.bytes, ms);

/** Stops the generator (link down) and takes what is left in the rings. */
async function drain(rig: SimRig, dev: IxgbeDevice, got: Received): Promise<void> {
  rig.call(0, "link-down");
  await Bun.sleep(20);
  await receive(dev, got, 100);
}

describeSim("ixgbe-sim: statistics mean what they say", (path) => {
  test("received packets and bytes per queue equal the model's counts, over many reads", async () => {
    await using rig = await Rig.start(path, { wires: ["gen:rate=20k,flows=64"] });
    const dev = await rig.open(0, OPTS);
    const got = new Received();
    const reads = await receive(dev, got, 400);
    await drain(rig, dev, got);
    expect(reads).toBeGreaterThanOrEqual(8);
    expect(got.total).toBeGreaterThan(2000);
    // Over sysfs the model republishes its counters in the shared BAR file a little later.
    await until(() => dev.readStats().rxPackets === got.total, 20_000, "the counters to settle");
    const s = dev.readStats();
    const model = rig.model(0);
    const noDescriptor = s.rxQueues.reduce((n, q) => n + q.dropped, 0);
    expect(s.rxPackets).toBe(got.total); // sum of QPRC
    expect(model.rx.delivered).toBe(got.total);
    expect(s.rxQueues.map((q) => q.packets)).toEqual(got.packets);
    expect(s.rxQueues.map((q) => q.bytes)).toEqual(got.bytes); // QBRC: no CRC (stripped)
    expect(noDescriptor).toBe(model.rx.dropped.noDescriptor ?? -1); // QPRDC
    expect(s.rxMissed).toBe(model.rx.dropped.packetBufferFull ?? -1); // MPC
    // GPRC: every good frame the MAC took, reached a queue or not.
    expect(s.macRxPackets).toBe(got.total + noDescriptor + s.rxMissed);
    // GORC: those frames' octets, without CRC (stripped) on the 82599 and the strict model,
    // with it on the older model: the delivered ones exactly, plus 60..1518 octets for each
    // frame dropped after the MAC took it.
    const crc = STRICT_MODEL ? 0 : 4;
    const dropped = noDescriptor + s.rxMissed;
    const extra = s.rxBytes - (got.bytes.reduce((a, b) => a + b, 0) + crc * got.total);
    expect(extra).toBeGreaterThanOrEqual((60 + crc) * dropped);
    expect(extra).toBeLessThanOrEqual((1514 + crc) * dropped);
  }, 60_000);
});

describeSim("ixgbe-sim: the datasheet's rules", (path) => {
  test.skipIf(!STRICT_MODEL)(
    "init, traffic, a reset behind the driver's back, recover() and close(): zero violations",
    async () => {
      await using rig = await Rig.start(path, { wires: ["gen:rate=20k,flows=64"] });
      const dev = await rig.open(0, OPTS);
      const got = new Received();
      await receive(dev, got, 150);
      await dev.recover(); // stop, reset, init again over the same rings
      await receive(dev, got, 150);
      rig.call(0, "reset"); // as CTRL.RST from elsewhere: the driver finds out and recovers
      await until(() => !dev.health().ok, 20_000, "health() to see the reset");
      await dev.recover();
      await receive(dev, got, 150);
      expect(got.total).toBeGreaterThan(0);
      dev.close();
      const v = rig.call(0, "violations") as ViolationReport;
      expect(v.mode).toBe("strict");
      expect(v.rules).toEqual([]);
      expect(v.total).toBe(0);
    },
    20_000,
  );
});
