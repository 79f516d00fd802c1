// A forwarder that damages fixed header bytes of 1 frame in 2,000 fails validation: a frame
// that left a generator and comes back altered is corruption, whether the damage is in the
// ethertype (under the stamp checksum) or in the stamp itself (no longer recognisable, on
// ports that carry nothing but generated traffic). The damage happens in a Port wrapper
// between the forwarder and the driver's TX queue, on one thread.
import { describe, expect, test } from "bun:test";
import type { PacketPool, Port, PortCounters, PortSet } from "../src/port.ts";
import { type DevicePortSet, openPorts } from "../src/ports.ts";
import { runForwarding } from "../src/run.ts";
import type { RunSummary } from "../src/stats.ts";
import { embeddedConfig, missingNeeds, settings } from "./support/e2e.ts";

const why = missingNeeds(12);
const WAIT_MS = 20_000;
const EVERY = 2000;

/** A port whose TX flips every bit of byte `at` in every EVERY-th frame it is given. */
class DamagingPort implements Port {
  private seen = 0;
  constructor(
    private readonly inner: Port,
    /** The pool frames sent here come from: the peer's RX pool of the same queue. */
    private readonly from: (queue: number) => PacketPool,
    private readonly at: number,
  ) {}
  get name(): string {
    return this.inner.name;
  }
  get queues(): number {
    return this.inner.queues;
  }
  get mac(): Uint8Array {
    return this.inner.mac;
  }
  rxBatch(queue: number, bufs: Uint32Array, max: number): number {
    return this.inner.rxBatch(queue, bufs, max);
  }
  txBatch(queue: number, bufs: Uint32Array, count: number): number {
    const pool = this.from(queue);
    for (let i = 0; i < count; i++) {
      if (++this.seen % EVERY !== 0) continue;
      const o = (pool.dataOffset[bufs[i] as number] as number) + this.at;
      pool.u8[o] = (pool.u8[o] as number) ^ 0xff;
    }
    return this.inner.txBatch(queue, bufs, count);
  }
  pool(queue: number): PacketPool {
    return this.inner.pool(queue);
  }
  stats(): PortCounters {
    return this.inner.stats();
  }
}

/** Frames both sinks received so far, of any kind. */
function sinkFrames(sim: NonNullable<DevicePortSet["sim"]>): number {
  let n = 0;
  for (const p of [0, 1]) {
    const s = sim.control(p, "stats") as { wire: { stats: { tx?: { frames?: number } } } };
    n += s.wire.stats.tx?.frames ?? 0;
  }
  return n;
}

/** Forwards through damaging ports until the sinks got 20 x EVERY frames; the summary. */
async function forwardDamaging(at: number): Promise<RunSummary> {
  const config = embeddedConfig({ sim: { rate: "50k" } });
  const set = await openPorts(config, { sim: { linkDelayMs: 5 }, notice: () => {} });
  try {
    const [a, b] = set.ports;
    const damaging: PortSet = {
      ...set,
      ports: [new DamagingPort(a, (q) => b.pool(q), at), new DamagingPort(b, (q) => a.pool(q), at)],
    };
    const stop = new Int32Array(1);
    const running = runForwarding(damaging, settings(config, { duration: 0 }), stop, () => {});
    try {
      const sim = set.sim as NonNullable<DevicePortSet["sim"]>;
      const end = Date.now() + WAIT_MS;
      while (sinkFrames(sim) < 20 * EVERY) {
        if (Date.now() > end)
          throw new Error(`the sinks got < ${20 * EVERY} frames in ${WAIT_MS} ms`);
        await Bun.sleep(10);
      }
    } finally {
      Atomics.store(stop, 0, 1);
    }
    return await running;
  } finally {
    set.close();
    await set.closed;
  }
}

describe.skipIf(why !== null)(`l2fwd validation of altered frames ${why ?? ""}`, () => {
  for (const [what, at] of [
    ["the ethertype", 12],
    ["the stamp magic", 42],
  ] as const) {
    test(`a forwarder that damages ${what} of 1 frame in ${EVERY} FAILS`, async () => {
      const s = await forwardDamaging(at);
      const corrupted = s.traffic?.corrupted ?? 0;
      expect(corrupted).toBeGreaterThanOrEqual(5);
      expect(s.verdict.ok).toBe(false);
      expect(s.verdict.reasons).toContain(`${corrupted} frames arrived corrupted`);
      // The altered frames are accounted as received (corrupted), not as lost.
      expect(s.ledger?.unexplained).toBe(0);
    }, 60_000);
  }
});
