// Handing queue pairs to Worker threads: export, attach, forward, counters, reclaim, close.
import { afterEach, describe, expect, test } from "bun:test";
import { attachQueue, attachQueues } from "../src/attach.ts";
import { IxgbeDevice } from "../src/device.ts";
import { exportQueues } from "../src/handoff.ts";
import type { BufferPool } from "../src/pool.ts";
import { FakeNic, fakeBackend } from "./support/fake-nic.ts";
import { NativeArena } from "./support/native-memory.ts";

const fast = { resetMs: 50, eepromMs: 50, dmaInitMs: 50, queueMs: 50, linkMs: 200 };
const RING = 64;
let arenas: NativeArena[] = [];

afterEach(() => {
  for (const a of arenas) a.close();
  arenas = [];
});

/**
 * A device on a fake NIC whose BAR0 and DMA memory are native (visible to Workers). Each NIC
 * gets its own device address range; `dma` lists its blocks so another NIC can see them too.
 */
async function openNative(queues: number, mac: number) {
  const arena = new NativeArena(48 << 20);
  arenas.push(arena);
  const nic = new FakeNic({ regs: arena.bar(), mac: [2, 0, 0, 0, 0, mac] });
  const blocks = { open: 0 };
  const dma: [number, Uint8Array][] = [];
  const memory = (bytes: number, base: number) => {
    const u8 = arena.alloc(bytes);
    dma.push([base, u8]);
    return u8;
  };
  const backend = fakeBackend(nic, { blocks, memory, dmaBase: mac * 2 ** 36 });
  const dev = await IxgbeDevice.fromBackend(backend, {
    rxRingSize: RING,
    txRingSize: RING,
    rxQueues: queues,
    txQueues: queues,
    timeouts: fast,
  });
  return { nic, dev, blocks, dma };
}

/** Two ports wired for forwarding: TX q of each frees into the other's RX q pool. */
async function forwardingPair(queues: number) {
  const a = await openNative(queues, 1);
  const b = await openNative(queues, 2);
  // Each NIC sends buffers of the other's pools: let it reach them (an IOMMU mapping, really).
  for (const [base, u8] of a.dma) b.nic.map(base, u8);
  for (const [base, u8] of b.dma) a.nic.map(base, u8);
  for (let q = 0; q < queues; q++) {
    a.dev.useTxPool(q, b.dev.rxPool(q));
    b.dev.useTxPool(q, a.dev.rxPool(q));
  }
  return { a, b };
}

const frame = (k: number) => Uint8Array.from({ length: 60 }, (_, i) => (i * 7 + k) & 0xff);

// Every buffer of `pool` is free, on `rxDev`'s RX ring q, or in flight on `txDev`'s TX ring q.
function accounted(pool: BufferPool, rxDev: IxgbeDevice, txDev: IxgbeDevice, q: number): number {
  return pool.available + rxDev.rxQueue(q).size + txDev.txQueue(q).inFlight;
}

describe("export and reclaim on one thread", () => {
  test("a handed-off queue does nothing here; attach/detach/reclaim restores it", async () => {
    const { nic, dev, blocks } = await openNative(1, 1);
    const pool = dev.rxPool(0);
    dev.useTxPool(0, pool);
    const count = pool.count;
    const handoff = dev.exportQueue(0);
    expect(JSON.parse(JSON.stringify(handoff))).toEqual(handoff); // numbers and strings only
    expect(handoff.pools.length).toBe(1);
    expect(pool.available).toBe(0); // the free list travels with the handoff
    const bufs = new Uint32Array(8);
    nic.inject(0, frame(1));
    nic.step(1);
    expect(dev.rxBatch(0, bufs, 8)).toBe(0);
    expect(dev.txBatch(0, bufs, 1)).toBe(0);
    expect(() => dev.rxQueue(0)).toThrow(expect.objectContaining({ code: "HANDED_OFF" }));
    expect(() => dev.rxPool(0)).toThrow(expect.objectContaining({ code: "HANDED_OFF" }));
    expect(() => dev.exportQueue(0)).toThrow(expect.objectContaining({ code: "HANDED_OFF" }));

    const q = attachQueue(handoff);
    expect(() => attachQueue(handoff)).toThrow(expect.objectContaining({ code: "HANDED_OFF" }));
    expect(q.rx.rxBatch(bufs, 8)).toBe(1);
    expect(q.rx.pool.len[bufs[0] as number]).toBe(60);
    nic.captureTx = true;
    expect(q.tx.txBatch(bufs, 1)).toBe(1);
    nic.step(1);
    expect(Array.from(nic.sent[0]?.bytes ?? [])).toEqual(Array.from(frame(1)));
    expect(dev.readStats().rxQueues[0]?.swPackets).toBe(1); // shared counters
    expect(() => dev.reclaimQueue(0)).toThrow(expect.objectContaining({ code: "HANDED_OFF" }));
    q.detach();
    expect(q.rx.rxBatch(bufs, 8)).toBe(0);

    expect(dev.reclaimQueue(0)).toBe(true);
    expect(accounted(pool, dev, dev, 0)).toBe(count);
    nic.inject(0, frame(2));
    nic.step(1);
    expect(dev.rxBatch(0, bufs, 8)).toBe(1); // ring position carried over
    expect(dev.readStats().rxQueues[0]?.swPackets).toBe(2);
    dev.close();
    expect(blocks.open).toBe(0);
    expect(nic.mappedBlocks).toBe(0);
  });

  test("trapped doorbells are refused and leave the queue running", async () => {
    const nic = new FakeNic({ trapped: true });
    const dev = await IxgbeDevice.fromBackend(fakeBackend(nic), {
      rxRingSize: RING,
      txRingSize: RING,
      timeouts: fast,
    });
    const err = (() => {
      try {
        dev.exportQueue(0);
      } catch (e) {
        return e as { code: string; message: string };
      }
    })();
    expect(err?.code).toBe("BAD_CONFIG");
    expect(err?.message).toContain("trapped doorbells cannot be driven from a Worker");
    nic.step(1, 60);
    expect(dev.rxBatch(0, new Uint32Array(4), 4)).toBe(4);
    dev.close();
  });

  test("a pool still used by a queue that stays behind is refused", async () => {
    const { dev } = await openNative(2, 1);
    dev.useTxPool(1, dev.rxPool(0));
    expect(() => dev.exportQueue(0)).toThrow(/shares a buffer pool with .* TX queue 1/);
    expect(dev.rxPool(0).available).toBeGreaterThan(0); // nothing changed
    const both = exportQueues([
      { device: dev, queue: 0 },
      { device: dev, queue: 1 },
    ]);
    expect(both.queues.length).toBe(2);
    dev.close(); // never attached: close takes them back and frees everything
  });

  test("force gives up a queue whose Worker never detached; close still frees all", async () => {
    const { dev, blocks, nic } = await openNative(1, 1);
    const h = dev.exportQueue(0);
    const a = attachQueues(h);
    expect(a.queues[0]?.queue).toBe(0);
    expect(dev.reclaimQueue(0, { force: true })).toBe(false);
    expect(dev.rxBatch(0, new Uint32Array(4), 4)).toBe(0);
    expect(() => dev.exportQueue(0)).toThrow(/never detached/);
    a.detach(); // too late: the queue is gone from both sides
    dev.close();
    expect(blocks.open).toBe(0);
    expect(nic.mappedBlocks).toBe(0);
  });

  test("a malformed handoff is refused", () => {
    expect(() => attachQueues({ format: "x" } as never)).toThrow(/not a queue handoff/);
  });
});

describe("a Worker drives the queues", () => {
  test("2 queue pairs, 2 Workers: frames forwarded, counters live in main, clean reclaim", async () => {
    const QUEUES = 2;
    const PER_QUEUE = 40;
    const { a, b } = await forwardingPair(QUEUES);
    const stop = new Int32Array(new SharedArrayBuffer(4));
    const workers: Worker[] = [];
    const events: Record<string, unknown>[][] = [];
    try {
      for (let q = 0; q < QUEUES; q++) {
        const handoff = exportQueues([
          { device: a.dev, queue: q },
          { device: b.dev, queue: q },
        ]);
        expect(handoff.pools.length).toBe(2); // one pool per direction, shared by both ports
        const w = new Worker(new URL("./support/handoff-worker.ts", import.meta.url).href);
        const log: Record<string, unknown>[] = [];
        w.onmessage = (ev) => log.push(ev.data);
        w.onerror = (ev) => log.push({ type: "error", message: ev.message });
        w.postMessage({ handoff, stop });
        workers.push(w);
        events.push(log);
      }
      await until(() => events.every((l) => l.some((m) => m.type === "attached")), events);
      b.nic.captureTx = true;
      for (let q = 0; q < QUEUES; q++) {
        for (let k = 0; k < PER_QUEUE; k++) a.nic.inject(q, frame(q * 100 + k));
      }
      await until(() => {
        a.nic.step(QUEUES);
        b.nic.step(QUEUES);
        return b.nic.sent.length === QUEUES * PER_QUEUE;
      }, events);

      // Counters of queues driven by Workers, read from the main thread.
      const sa = a.dev.readStats();
      const sb = b.dev.readStats();
      for (let q = 0; q < QUEUES; q++) {
        expect(sa.rxQueues[q]?.swPackets).toBe(PER_QUEUE);
        expect(sb.txQueues[q]?.swPackets).toBe(PER_QUEUE);
        expect(sb.txQueues[q]?.swBytes).toBe(PER_QUEUE * 60);
        const sent = b.nic.sent.filter((f) => f.queue === q);
        expect(sent.length).toBe(PER_QUEUE);
        const want = frame(q * 100 + 7);
        want[1] = (want[1] as number) + 1; // the Worker's touch
        expect(Array.from(sent[7]?.bytes ?? [])).toEqual(Array.from(want));
      }

      Atomics.store(stop, 0, 1);
      await until(() => events.every((l) => l.some((m) => m.type === "detached")), events);
      for (let q = 0; q < QUEUES; q++) {
        expect(a.dev.reclaimQueue(q)).toBe(true);
        expect(b.dev.reclaimQueue(q)).toBe(true);
        const poolA = a.dev.rxPool(q);
        const poolB = b.dev.rxPool(q);
        expect(accounted(poolA, a.dev, b.dev, q)).toBe(poolA.count);
        expect(accounted(poolB, b.dev, a.dev, q)).toBe(poolB.count);
      }
      // Back on the main thread, from where the Workers left the rings.
      a.nic.inject(1, frame(9));
      a.nic.step(QUEUES);
      expect(a.dev.rxBatch(1, new Uint32Array(4), 4)).toBe(1);
    } finally {
      Atomics.store(stop, 0, 1);
      for (const w of workers) w.terminate();
      a.dev.close();
      b.dev.close();
      for (const [base] of a.dma) b.nic.unmap(base);
      for (const [base] of b.dma) a.nic.unmap(base);
    }
    for (const side of [a, b]) {
      expect(side.blocks.open).toBe(0);
      expect(side.nic.mappedBlocks).toBe(0);
    }
  }, 60_000);
});

// Polls `done` (yielding to the event loop) until true; fails with the Workers' reports.
async function until(done: () => boolean, events: Record<string, unknown>[][]): Promise<void> {
  const deadline = performance.now() + 8000;
  while (!done()) {
    const err = events.flat().find((m) => m.type === "error");
    if (err) throw new Error(`Worker failed: ${err.message}\n${err.stack ?? ""}`);
    if (performance.now() > deadline)
      throw new Error(`timed out; Workers said ${JSON.stringify(events)}`);
    await Bun.sleep(1);
  }
}
