/*
 * Against ixgbe-sim: thousands of frames through RX and TX with 64-descriptor rings (each ring
 * wraps dozens of times), every frame checked byte for byte and by sequence, and the counters
 * of driver, card registers and wires compared at the end.
 *  - forwarding: frames injected on port 0 are received, checked, and sent unchanged from port 1
 *    out of port 0's RX pool (useTxPool); port 1's sink verifies them again.
 *  - cable loop: port 0 and port 1 are cabled; the test sends on one and receives on the other.
 */
import { expect, test } from "bun:test";
import { type IxgbeDevice, type IxgbeStats, NO_BUFFER } from "../src/index.ts";
import {
  firstDifference,
  frameIn,
  putFrame,
  seqOf,
  TEST_GEN_ID,
  testFrame,
} from "./support/sim-frames.ts";
import { describeSim, SimRig, until } from "./support/sim-rig.ts";

const RING = { rxRingSize: 64, txRingSize: 64 };
const BATCH = 32;

/** Bytes the MAC counts for a frame of `len` bytes without FCS: padded to 60, plus CRC. */
const wireBytes = (len: number): number => Math.max(len, 60) + 4;

/**
 * Receives exactly `expected.length` frames on `rx`, checks each against `expected` (in order),
 * and hands the buffers to `use` (which owns them from then on). Bounded: throws after 20 s.
 */
async function receiveChecked(
  rx: IxgbeDevice,
  expected: readonly Uint8Array[],
  use: (bufs: Uint32Array, n: number) => void | Promise<void>,
): Promise<void> {
  const pool = rx.rxPool(0);
  const bufs = new Uint32Array(BATCH);
  let got = 0;
  const deadline = performance.now() + 20_000;
  while (got < expected.length) {
    const n = rx.rxBatch(0, bufs, Math.min(BATCH, expected.length - got));
    for (let i = 0; i < n; i++) {
      const f = frameIn(pool, bufs[i] as number);
      const want = expected[got + i] as Uint8Array;
      const at = firstDifference(f, want);
      if (at >= 0) {
        throw new Error(
          `frame ${seqOf(want)}: got ${f.length} bytes (seq ${seqOf(f)}), want ${want.length}; first difference at byte ${at}`,
        );
      }
    }
    got += n;
    if (n > 0) await use(bufs, n);
    else if (performance.now() > deadline) {
      throw new Error(`received ${got} of ${expected.length} frames in 20 s`);
    } else await Bun.sleep(0);
  }
}

/** Sends bufs[0..n) on TX queue 0, retrying the rest while the ring is full (bounded). */
/**
 * The device's statistics once `ready` holds them (or after 20 s, for the asserts to show):
 * over sysfs the model publishes its counters at its next loop pass, after the frames arrived.
 */
async function statsWhen(dev: IxgbeDevice, ready: (s: IxgbeStats) => boolean): Promise<IxgbeStats> {
  const deadline = performance.now() + 20_000;
  let s = dev.readStats();
  while (!ready(s) && performance.now() < deadline) {
    await Bun.sleep(1);
    s = dev.readStats();
  }
  return s;
}

async function sendAll(tx: IxgbeDevice, bufs: Uint32Array, n: number): Promise<void> {
  let sent = 0;
  const deadline = performance.now() + 20_000;
  while (sent < n) {
    sent += tx.txBatch(0, bufs.subarray(sent), n - sent);
    if (sent < n) {
      if (performance.now() > deadline) throw new Error(`TX took ${sent} of ${n} in 20 s`);
      await Bun.sleep(0);
    }
  }
}

describeSim("ixgbe-sim: traffic", (path) => {
  test("forwards 3000 frames port 0 -> port 1 with nothing lost, reordered or corrupted; counters agree", async () => {
    await using rig = await SimRig.start(path, { wires: ["queue", "sink:latency=0"] });
    const dev0 = await rig.open(0, RING);
    const dev1 = await rig.open(1, RING);
    dev1.useTxPool(0, dev0.rxPool(0), dev0.rxPoolMemory(0));
    const pool = dev0.rxPool(0);
    const free0 = pool.available;
    const N = 3000;
    let bytes = 0;
    for (let seq = 0; seq < N; seq += BATCH) {
      const frames = Array.from({ length: Math.min(BATCH, N - seq) }, (_, k) => testFrame(seq + k));
      for (const f of frames) bytes += f.length;
      expect(rig.inject(0, frames)).toBe(frames.length);
      await receiveChecked(dev0, frames, (bufs, n) => sendAll(dev1, bufs, n));
    }
    await until(() => rig.wire(1).frames === N, 20_000, "the sink to see every frame");

    const sink = rig.wire(1) as unknown as SinkView;
    expect(sink).toMatchObject({ frames: N, corrupted: 0, lost: 0, reordered: 0, duplicated: 0 });
    expect(sink.generators).toEqual([
      expect.objectContaining({ id: TEST_GEN_ID, received: N, lost: 0, reordered: 0 }),
    ]);
    expect(sink.verdict).toBe("pass");

    // Statistics: what the card counted equals what the wires saw. TX octets include the CRC;
    // RX octets (GORC) leave it out while the 82599 strips it (HLREG0.RXCRCSTRP).
    const octets = bytes + 4 * N; // every test frame is >= 60 bytes: no padding
    const s0 = await statsWhen(
      dev0,
      (s) => s.rxPackets === N && s.rxBytes === bytes && s.rxQueues[0]?.packets === N,
    );
    const s1 = await statsWhen(
      dev1,
      (s) => s.txPackets === N && s.txBytes === octets && s.txQueues[0]?.packets === N,
    );
    expect(s0).toMatchObject({ rxPackets: N, rxBytes: bytes, rxMissed: 0, crcErrors: 0 });
    expect(s0.rxQueues[0]).toMatchObject({ packets: N, dropped: 0, swPackets: N, swBytes: bytes });
    expect(s1).toMatchObject({ txPackets: N, txBytes: octets });
    expect(s1.txQueues[0]).toMatchObject({ packets: N, swPackets: N, swBytes: bytes });
    expect(rig.model(1).tx.frames).toBe(N);
    expect(rig.wire(0)).toMatchObject({ injected: N, waiting: 0, dropped: 0 });

    // Every buffer comes home: TX completions freed into port 0's pool, nothing else in flight.
    dev1.close();
    expect(pool.available).toBe(free0);
  }, 60_000);

  test("cable loop: 2000 frames each way between two ports, ring wrap included", async () => {
    await using rig = await SimRig.start(path, { wires: ["cable:p1", "cable:p0"] });
    const devs = [await rig.open(0, RING), await rig.open(1, RING)] as const;
    const N = 2000;
    const counts = [0, 0];
    for (let seq = 0; seq < N; seq += BATCH) {
      for (const from of [0, 1] as const) {
        const tx = devs[from];
        const rx = devs[1 - from] as IxgbeDevice;
        const txPool = tx.txPool(0);
        const frames = Array.from({ length: Math.min(BATCH, N - seq) }, (_, k) =>
          testFrame(seq + k, 60 + ((seq + k + from * 500) % 1455)),
        );
        const bufs = new Uint32Array(frames.length);
        for (const [k, f] of frames.entries()) {
          const b = txPool.allocOne();
          expect(b).not.toBe(NO_BUFFER);
          putFrame(txPool, b, f);
          bufs[k] = b;
        }
        await sendAll(tx, bufs, frames.length);
        await receiveChecked(rx, frames, (got, n) => {
          rx.rxPool(0).freeBatch(got, n);
          counts[1 - from] = (counts[1 - from] as number) + n;
        });
      }
    }
    expect(counts).toEqual([N, N]);
    // All four counts and both directions' octets published (RX octets lack the CRC).
    let s1 = devs[1].readStats();
    const s0 = await statsWhen(devs[0], (s) => {
      s1 = devs[1].readStats();
      const counts = [s.txPackets, s.rxPackets, s1.txPackets, s1.rxPackets];
      return (
        counts.every((c) => c === N) &&
        s.txBytes === s1.rxBytes + 4 * N &&
        s1.txBytes === s.rxBytes + 4 * N
      );
    });
    expect(s0.txPackets).toBe(N);
    expect(s1.rxPackets).toBe(N);
    expect(s1.txPackets).toBe(N);
    expect(s0.rxPackets).toBe(N);
    // TX octets carry the 4 CRC bytes per frame; RX octets do not while the CRC is stripped.
    expect(s0.txBytes).toBe(s1.rxBytes + 4 * N);
    expect(s1.txBytes).toBe(s0.rxBytes + 4 * N);
  }, 60_000);

  test("short frames are padded to 60 bytes on the wire and counted with padding (and CRC on TX)", async () => {
    await using rig = await SimRig.start(path, { wires: ["cable:p1", "cable:p0"] });
    const a = await rig.open(0, RING);
    const b = await rig.open(1, RING);
    const pool = a.txPool(0);
    const sizes = [42, 59, 60, 61, 1514];
    const bufs = new Uint32Array(sizes.length);
    for (const [k, size] of sizes.entries()) {
      const buf = pool.allocOne();
      const f = testFrame(k, Math.max(size, 60)).subarray(0, size);
      putFrame(pool, buf, f);
      bufs[k] = buf;
    }
    await sendAll(a, bufs, sizes.length);
    const got: number[] = [];
    const rxBufs = new Uint32Array(8);
    await until(
      () => {
        const n = b.rxBatch(0, rxBufs, 8);
        for (let i = 0; i < n; i++) got.push(b.rxPool(0).len[rxBufs[i] as number] as number);
        b.rxPool(0).freeBatch(rxBufs, n);
        return got.length >= sizes.length;
      },
      3000,
      "the frames",
    );
    expect(got).toEqual(sizes.map((s) => Math.max(s, 60)));
    const octets = sizes.reduce((sum, s) => sum + wireBytes(s), 0);
    const sent = await statsWhen(a, (s) => s.txPackets === sizes.length && s.txBytes === octets);
    expect(sent).toMatchObject({ txPackets: sizes.length, txBytes: octets });
    // The receiver strips the CRC, and GORC leaves it out with it.
    const rxOctets = octets - 4 * sizes.length;
    expect(
      await statsWhen(b, (s) => s.rxPackets === sizes.length && s.rxBytes === rxOctets),
    ).toMatchObject({
      rxPackets: sizes.length,
      rxBytes: octets - 4 * sizes.length,
    });
  });
});

/** The fields of the sink's statistics these tests read. */
interface SinkView {
  frames: number;
  corrupted: number;
  lost: number;
  reordered: number;
  duplicated: number;
  verdict: string;
  generators: { id: number; received: number; lost: number; reordered: number }[];
}
