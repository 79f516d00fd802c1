/*
 * Against ixgbe-sim: a queue pair of each of two ports handed to a Worker, which forwards
 * generated traffic from port 0 to port 1's sink. Over vfio-user only the queue register
 * pages of BAR0 are mapped, so the handoff carries those areas; over sysfs all of BAR0.
 * Counters are read from the main thread while the Worker runs; afterwards the pairs come
 * back, run on the main thread again, and close leaves nothing mapped (SimRig.close).
 */
import { expect, test } from "bun:test";
import { exportQueues, type IxgbeDevice } from "../src/index.ts";
import { describeSim, SimRig, until } from "./support/sim-rig.ts";

// Rings long enough to ride out the simulator losing its core for a few ms (2-core machine:
// the simulator, the Worker and this thread all want one).
const OPTS = { rxRingSize: 512, txRingSize: 512 };

type Report = Record<string, unknown> & { type: string };

// Every buffer of `pool` is free, in `rx`'s RX ring, or in flight on `tx`'s TX ring.
const accounted = (rx: IxgbeDevice, tx: IxgbeDevice): number =>
  rx.rxPool(0).available + rx.rxQueue(0).size + tx.txQueue(0).inFlight;

describeSim("ixgbe-sim: queues driven by a Worker", (path) => {
  test("export, attach and forward in a Worker; counters live in main; reclaim and close", async () => {
    await using rig = await SimRig.start(path, { wires: ["gen:rate=10k,flows=8", "sink"] });
    const a = await rig.open(0, OPTS);
    const b = await rig.open(1, OPTS);
    b.useTxPool(0, a.rxPool(0), a.rxPoolMemory(0));
    a.useTxPool(0, b.rxPool(0), b.rxPoolMemory(0));
    expect(a.exportProblem(0)).toBeNull();
    const handoff = exportQueues([
      { device: a, queue: 0 },
      { device: b, queue: 0 },
    ]);
    // Over vfio-user the doorbells live in two mapped areas (RX and TX queue pages).
    const offsets = handoff.queues[0]?.bar.map((x) => x.offset);
    expect(offsets).toEqual(path === "vfio-user" ? [0x01000, 0x06000] : [0]);
    expect(a.exportProblem(0)).toMatch(/already handed off/);

    const stop = new Int32Array(new SharedArrayBuffer(4));
    const worker = new Worker(new URL("./support/handoff-worker.ts", import.meta.url).href);
    const log: Report[] = [];
    worker.onmessage = (ev) => log.push(ev.data);
    worker.onerror = (ev) => log.push({ type: "error", message: ev.message });
    const seen = (type: string) => {
      const err = log.find((m) => m.type === "error");
      if (err) throw new Error(`Worker failed: ${err.message}\n${err.stack ?? ""}`);
      return log.some((m) => m.type === type);
    };
    const sunk = () => rig.wire(1).frames ?? 0;
    try {
      worker.postMessage({ handoff, stop });
      await until(() => seen("attached"), 20_000, "the Worker to attach");
      await until(() => sunk() >= 300, 20_000, "frames forwarded by the Worker");
      // The Worker's software counters and the card's counters, read here while it runs.
      const live = a.readStats();
      expect(live.rxQueues[0]?.swPackets).toBeGreaterThanOrEqual(300);
      expect(b.readStats().txQueues[0]?.swPackets).toBeGreaterThanOrEqual(300);
      expect(live.rxPackets).toBeGreaterThanOrEqual(300);

      rig.call(0, "link-down"); // the generator stops; let the Worker forward what is left
      await Bun.sleep(50);
      Atomics.store(stop, 0, 1);
      await until(() => seen("detached"), 20_000, "the Worker to detach");
    } finally {
      Atomics.store(stop, 0, 1);
      worker.terminate();
    }
    expect(a.reclaimQueue(0)).toBe(true);
    expect(b.reclaimQueue(0)).toBe(true);
    const sa = a.readStats();
    const sb = b.readStats();
    const received = sa.rxQueues[0]?.swPackets ?? 0;
    const sent = sb.txQueues[0]?.swPackets ?? 0;
    // A full TX ring (the simulator starved of CPU for a while) makes the Worker drop.
    expect(sent).toBeGreaterThan(0);
    expect(sent).toBeLessThanOrEqual(received);
    await until(() => sunk() === sent, 20_000, "the sink to see every frame sent");
    // The card drops while no Worker serves the ring, so the sink misses frames: none may
    // arrive twice, out of order or changed beyond the touched byte.
    expect(rig.wire(1)).toMatchObject({ duplicated: 0, reordered: 0, corrupted: 0 });
    if (path === "vfio-user") expect(sa.rxQueues[0]?.packets).toBe(received); // QPRC
    expect(accounted(a, b)).toBe(a.rxPool(0).count);
    expect(accounted(b, a)).toBe(b.rxPool(0).count);
    // The pairs run here again, from where the Worker left the rings.
    rig.call(0, "link-up");
    const bufs = new Uint32Array(32);
    let got = 0;
    await until(
      () => {
        const n = a.rxBatch(0, bufs, 32);
        got += n;
        a.rxPool(0).freeBatch(bufs, n);
        return got > 0;
      },
      3000,
      "a frame on the main thread",
    );
  }, 60_000);
});
