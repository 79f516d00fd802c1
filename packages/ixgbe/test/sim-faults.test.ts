/*
 * Against ixgbe-sim, during traffic: a link flap (the driver reports down then up, traffic comes
 * back by itself), DMA faults (a buffer fault costs one frame; a ring fault makes the card stop
 * the queue, health() names it, recover() brings it back), and a device reset behind the
 * driver's back (health() reports it, recover() sets everything up again). Nothing hangs: every
 * wait here is bounded and the hot path keeps returning counts.
 */
import { expect, test } from "bun:test";
import type { IxgbeDevice } from "../src/index.ts";
import { putFrame, testFrame } from "./support/sim-frames.ts";
import { describeSim, SimRig, until } from "./support/sim-rig.ts";

const OPTS = { rxRingSize: 128, txRingSize: 64 };

/** Receives (and frees) for up to `ms`; returns the frames received. */
async function drain(dev: IxgbeDevice, ms: number, stop = () => false): Promise<number> {
  const bufs = new Uint32Array(64);
  const pool = dev.rxPool(0);
  let got = 0;
  const deadline = performance.now() + ms;
  while (performance.now() < deadline && !stop()) {
    const n = dev.rxBatch(0, bufs, 64);
    pool.freeBatch(bufs, n);
    got += n;
    if (n === 0) await Bun.sleep(1);
  }
  return got;
}

/** Sends `n` test frames from the TX pool; returns how many the ring took. */
function send(dev: IxgbeDevice, n: number): number {
  const pool = dev.txPool(0);
  const bufs = new Uint32Array(n);
  for (let k = 0; k < n; k++) {
    bufs[k] = pool.allocOne();
    putFrame(pool, bufs[k] as number, testFrame(k, 100));
  }
  const took = dev.txBatch(0, bufs, n);
  pool.freeBatch(bufs.subarray(took), n - took);
  return took;
}

describeSim("ixgbe-sim: faults during traffic", (path) => {
  test("link flap: link() reports down then up, and traffic resumes", async () => {
    await using rig = await SimRig.start(path, { wires: ["gen:rate=100k"] });
    const dev = await rig.open(0, OPTS);
    expect(await drain(dev, 50)).toBeGreaterThan(0);
    rig.call(0, "link-flap", { ms: 150 });
    const seen: boolean[] = [];
    const bufs = new Uint32Array(64);
    const deadline = performance.now() + 20_000;
    while (performance.now() < deadline && !(seen.includes(false) && seen.at(-1) === true)) {
      const up = dev.link().up;
      if (seen.at(-1) !== up) seen.push(up);
      dev.rxPool(0).freeBatch(bufs, dev.rxBatch(0, bufs, 64)); // the hot path keeps working
      await Bun.sleep(1);
    }
    expect(seen.slice(-2)).toEqual([false, true]);
    // A link drop is not a device fault.
    expect(dev.health().problems).toEqual([]);
    expect(await drain(dev, 100)).toBeGreaterThan(0);
    expect(rig.model(0).link.changes).toBeGreaterThanOrEqual(2);
  });

  test("DMA faults: a bad buffer costs a frame; a bad ring stops the queue until recover()", async () => {
    await using rig = await SimRig.start(path, { wires: ["gen:rate=100k+sink"] });
    const dev = await rig.open(0, OPTS);
    expect(await drain(dev, 50)).toBeGreaterThan(0);

    // The card only touches a buffer when it has a free descriptor: keep the ring drained.
    rig.call(0, "dma-fault", { targets: ["rx-buffer"] });
    await drain(dev, 2000, () => rig.model(0).dmaFaults === 1);
    expect(rig.model(0).dmaFaults).toBe(1);
    expect(dev.health().problems).toEqual([]);
    expect(await drain(dev, 50)).toBeGreaterThan(0);

    rig.call(0, "dma-fault", { targets: ["rx-ring"] });
    await drain(dev, 2000, () => rig.model(0).queuesStopped === 1);
    expect(rig.model(0).queuesStopped).toBe(1);
    await drain(dev, 20); // what was already in the ring
    expect(await drain(dev, 50)).toBe(0); // stopped: nothing arrives, nothing hangs
    const h = dev.health();
    expect(h).toMatchObject({ ok: false, reset: false, stoppedRx: [0], stoppedTx: [] });
    expect(h.problems.join("\n")).toMatch(/RX queue 0 was stopped by the device \(RXDCTL = 0x/);
    expect(h.problems.join("\n")).toMatch(/DMA fault.*recover\(\)/);
    const before = dev.readStats().rxPackets;
    await dev.recover();
    expect(dev.health()).toMatchObject({ ok: true, problems: [] });
    expect(await drain(dev, 100)).toBeGreaterThan(0);
    expect(dev.readStats().rxPackets).toBeGreaterThan(before); // totals survive the reset

    rig.call(0, "dma-fault", { targets: ["tx-ring"] });
    send(dev, 8);
    await until(() => rig.model(0).queuesStopped === 2, 20_000, "the TX ring fault");
    expect(dev.health()).toMatchObject({ ok: false, stoppedTx: [0] });
    await dev.recover();
    const sinkFrames = () => (rig.wire(0) as { tx: { frames: number } }).tx.frames;
    const sinkBefore = sinkFrames();
    expect(send(dev, 8)).toBe(8);
    await until(() => sinkFrames() >= sinkBefore + 8, 20_000, "TX after recovery");
    expect(dev.txPool(0).available).toBe(dev.txPool(0).count - dev.txQueue(0).inFlight);
  }, 60_000);

  test("a device reset behind the driver's back: health() reports it, recover() restores traffic", async () => {
    await using rig = await SimRig.start(path, { wires: ["gen:rate=100k,flows=16"] });
    const dev = await rig.open(0, { ...OPTS, rxQueues: 2 });
    expect(await drain(dev, 50)).toBeGreaterThan(0);
    rig.call(0, "reset");
    await Bun.sleep(20);
    const h = dev.health();
    expect(h).toMatchObject({ ok: false, reset: true, stoppedRx: [0, 1], stoppedTx: [0] });
    expect(h.problems.join("\n")).toMatch(/reset behind the driver's back.*recover\(\)/);
    await drain(dev, 20); // frames written before the reset still come out
    expect(await drain(dev, 50)).toBe(0); // then nothing: no frames, no hang
    await dev.recover();
    expect(dev.health()).toMatchObject({ ok: true, reset: false });
    expect(dev.link()).toMatchObject({ up: true, speedMbps: 10_000 });
    expect(dev.rss?.table.length).toBe(128);
    expect(await drain(dev, 100)).toBeGreaterThan(0);
    expect(dev.rxPool(0).available).toBe(dev.rxPool(0).count - 128); // no buffer lost
  }, 60_000);
});
