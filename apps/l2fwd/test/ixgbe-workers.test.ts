// Workers over the ixgbe driver: two devices on the driver's in-process fake NIC (native
// memory, so Worker threads reach rings, buffers and doorbells), forwarded by one Worker per
// queue pair, then reclaimed and closed with nothing left behind.
import { expect, test } from "bun:test";
import { IxgbeDevice } from "@dataplane/ixgbe";
import { FakeNic, fakeBackend } from "../../../packages/ixgbe/test/support/fake-nic.ts";
import { NativeArena } from "../../../packages/ixgbe/test/support/native-memory.ts";
import { ixgbeWorkerHandoff } from "../src/ixgbe-workers.ts";
import type { Port, PortCounters, PortSet } from "../src/port.ts";
import { runForwarding } from "../src/run.ts";

const RING = 64;
const fast = { resetMs: 50, eepromMs: 50, dmaInitMs: 50, queueMs: 50, linkMs: 200 };

async function open(arena: NativeArena, id: number, queues: number) {
  const nic = new FakeNic({ regs: arena.bar(), mac: [2, 0, 0, 0, 0, id] });
  const dma: [number, Uint8Array][] = [];
  const blocks = { open: 0 };
  const memory = (bytes: number, base: number) => {
    const u8 = arena.alloc(bytes);
    dma.push([base, u8]);
    return u8;
  };
  const backend = fakeBackend(nic, { blocks, memory, dmaBase: id * 2 ** 36 });
  const dev = await IxgbeDevice.fromBackend(backend, {
    rxQueues: queues,
    txQueues: queues,
    rxRingSize: RING,
    txRingSize: RING,
    timeouts: fast,
  });
  return { nic, dev, dma, blocks };
}

// The main thread's view of a device port: only stats() matters while Workers forward.
function statsPort(dev: IxgbeDevice): Port {
  return {
    name: dev.name,
    queues: dev.rxQueues,
    mac: new Uint8Array(6),
    rxBatch: () => 0,
    txBatch: () => 0,
    pool: (q) => dev.rxPool(q),
    stats(): PortCounters {
      const s = dev.readStats();
      const sum = (
        l: readonly { swPackets: number; swBytes: number }[],
        k: "swPackets" | "swBytes",
      ) => l.reduce((n, x) => n + x[k], 0);
      return {
        rxPackets: sum(s.rxQueues, "swPackets"),
        rxBytes: sum(s.rxQueues, "swBytes"),
        txPackets: sum(s.txQueues, "swPackets"),
        txBytes: sum(s.txQueues, "swBytes"),
        rxDropped: 0,
      };
    },
  };
}

test("2 queue pairs forwarded by 2 Workers through the driver's queue handoff", async () => {
  const QUEUES = 2;
  const arena = new NativeArena(64 << 20);
  const a = await open(arena, 1, QUEUES);
  const b = await open(arena, 2, QUEUES);
  for (const [base, u8] of a.dma) b.nic.map(base, u8);
  for (const [base, u8] of b.dma) a.nic.map(base, u8);
  for (let q = 0; q < QUEUES; q++) {
    a.dev.useTxPool(q, b.dev.rxPool(q));
    b.dev.useTxPool(q, a.dev.rxPool(q));
  }
  // The "wire": both NICs fill every free RX descriptor with a 60-byte frame and complete TX.
  const wire = setInterval(() => {
    a.nic.step(QUEUES, 60);
    b.nic.step(QUEUES, 60);
  }, 1);
  try {
    const set: PortSet = {
      ports: [statsPort(a.dev), statsPort(b.dev)],
      ringSize: RING,
      workers: ixgbeWorkerHandoff(a.dev, b.dev),
      stopTraffic: () => clearInterval(wire),
      traffic: () => null,
      close: () => {},
    };
    const s = await runForwarding(
      set,
      {
        batch: 32,
        queues: QUEUES,
        mode: "mac",
        duration: 0.3,
        interval: 0.1,
        json: false,
        quiet: true,
        workers: "on",
      },
      new Int32Array(1),
      () => {},
    );
    expect(s.forwarded).toBeGreaterThan(1000);
    const sa = a.dev.readStats();
    const sb = b.dev.readStats();
    for (let q = 0; q < QUEUES; q++) {
      expect(sa.rxQueues[q]?.swPackets).toBeGreaterThan(0); // every Worker moved frames
      // Reclaimed: the queues belong to the main thread again, every buffer accounted for.
      const pool = a.dev.rxPool(q);
      expect(pool.available + RING + b.dev.txQueue(q).inFlight).toBe(pool.count);
    }
    expect(sb.txQueues.reduce((n, x) => n + x.swPackets, 0)).toBe(s.ports[1]?.txPackets);
  } finally {
    clearInterval(wire);
    a.dev.close();
    b.dev.close();
    for (const [base] of a.dma) b.nic.unmap(base);
    for (const [base] of b.dma) a.nic.unmap(base);
    arena.close();
  }
  expect(a.blocks.open + b.blocks.open).toBe(0);
  expect(a.nic.mappedBlocks + b.nic.mappedBlocks).toBe(0);
}, 60_000);
