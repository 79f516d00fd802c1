/*
 * Against ixgbe-sim: running out. An application that holds every buffer of the RX pool makes
 * the card drop frames (DROP_EN), and the card's QPRDC, the driver's statistics and the
 * simulator's own account agree; after the buffers come back nothing is missing. A TX ring
 * that cannot take a whole batch takes what fits and the caller keeps the rest.
 */
import { expect, test } from "bun:test";
import { RX_NO_BUFFER, TX_RING_FULL } from "../src/index.ts";
import { putFrame, TEST_GEN_ID, testFrame } from "./support/sim-frames.ts";
import { describeSim, SimRig, until } from "./support/sim-rig.ts";

describeSim("ixgbe-sim: exhaustion", (path) => {
  test("an empty RX pool: frames are dropped and counted alike by card, driver and simulator", async () => {
    await using rig = await SimRig.start(path, { wires: ["queue"] });
    const dev = await rig.open(0, { rxRingSize: 64, txRingSize: 64, rxPoolSize: 128 });
    const pool = dev.rxPool(0);
    const rx = dev.rxQueue(0);
    expect(pool.available).toBe(128 - 64); // the ring holds one buffer per descriptor

    const held: number[] = [];
    const bufs = new Uint32Array(32);
    let injected = 0;
    for (let wave = 0; wave < 3; wave++) {
      const frames = Array.from({ length: 200 }, (_, k) => testFrame(injected + k, 60));
      injected += rig.inject(0, frames);
      await until(() => rig.model(0).rx.frames === injected, 20_000, "the wire to drain");
      for (let n = rx.rxBatch(bufs, 32); n > 0; n = rx.rxBatch(bufs, 32)) {
        for (let i = 0; i < n; i++) held.push(bufs[i] as number);
      }
    }
    expect(pool.available).toBe(0);
    expect(held.length).toBe(64);
    expect(rx.counters[RX_NO_BUFFER]).toBeGreaterThan(0);
    expect(rx.ready()).toBe(true); // frames wait in the ring for buffers

    const model = rig.model(0);
    const stats = dev.readStats();
    const dropped = model.rx.dropped.noDescriptor as number;
    expect(dropped).toBeGreaterThan(0);
    expect(model.rx.delivered + dropped).toBe(injected);
    expect(stats.rxQueues[0]?.dropped).toBe(dropped); // QPRDC
    expect(stats.rxQueues[0]?.packets).toBe(model.rx.delivered); // QPRC
    expect(stats.rxMissed).toBe(0); // DROP_EN: no packet-buffer misses

    // Give everything back: the frames left in the ring come out, and every buffer is home.
    pool.freeBatch(Uint32Array.from(held), held.length);
    let rest = 0;
    for (let n = rx.rxBatch(bufs, 32); n > 0; n = rx.rxBatch(bufs, 32)) {
      rest += n;
      pool.freeBatch(bufs, n);
    }
    expect(held.length + rest).toBe(model.rx.delivered);
    expect(pool.available).toBe(128 - 64);
    expect(dev.readStats().rxQueues[0]?.swPackets).toBe(model.rx.delivered);
  }, 60_000);

  test("a full TX ring takes what fits; the caller keeps the rest and sends it later", async () => {
    await using rig = await SimRig.start(path, { wires: ["sink:latency=0"] });
    const dev = await rig.open(0, { rxRingSize: 64, txRingSize: 64 });
    const tx = dev.txQueue(0);
    const pool = dev.txPool(0);
    const N = 100;
    const bufs = new Uint32Array(N);
    for (let k = 0; k < N; k++) {
      bufs[k] = pool.allocOne();
      putFrame(pool, bufs[k] as number, testFrame(k));
    }
    rig.call(0, "link-down"); // the card holds what it is given while the link is down
    const took = tx.txBatch(bufs, N);
    expect(took).toBe(63); // 64 descriptors, one always left empty
    expect(tx.counters[TX_RING_FULL]).toBe(1);
    expect(tx.txBatch(bufs.subarray(took), N - took)).toBe(0);
    expect(rig.wire(0).frames).toBe(0);

    rig.call(0, "link-up");
    let sent = took;
    const deadline = performance.now() + 20_000;
    while (sent < N && performance.now() < deadline) {
      sent += tx.txBatch(bufs.subarray(sent), N - sent);
      await Bun.sleep(1);
    }
    expect(sent).toBe(N);
    await until(() => rig.wire(0).frames === N, 20_000, "the sink");
    expect(rig.wire(0)).toMatchObject({ frames: N, lost: 0, reordered: 0, corrupted: 0 });
    expect((rig.wire(0) as { generators: { id: number }[] }).generators[0]?.id).toBe(TEST_GEN_ID);
    expect(dev.readStats().txPackets).toBe(N);
  }, 60_000);
});
