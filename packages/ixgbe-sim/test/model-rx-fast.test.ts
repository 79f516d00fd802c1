/*
 * The RX fast path with RSS on: frames land in the next buffer of the queue the previous frame
 * went to and are copied on when RSS picks another queue. Bursts of generator frames over 64
 * flows check that every frame still ends up where RETA sends it, intact and in order, that
 * landing buffers of other queues are left to the device, and that a blocked queue holds the
 * rest in arrival order.
 */
import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import * as R from "@dataplane/ixgbe/regs";
import { toeplitzHash } from "../src/model/toeplitz.ts";
import { getU32, OFF_CSUM, OFF_FLOW, OFF_SEQ, stampChecksum } from "../src/wire/frame.ts";
import { GeneratorWire } from "../src/wire/generator.ts";
import { initPort, PORT_MAC, type RxRing, setupRx } from "./conformance/host.ts";
import { inProcessFactory } from "./conformance/in-process.ts";
import type { ConformanceTarget } from "./conformance/target.ts";

const QUEUES = 4;
const KEY = Uint8Array.from({ length: 40 }, (_, i) => (i * 37 + 11) & 0xff);

/** RSS over IPv4/UDP, RETA entry i -> queue i % QUEUES, hash in DW1. */
function programRss(t: ConformanceTarget): void {
  for (let n = 0; n < 10; n++) {
    const k = KEY.subarray(4 * n, 4 * n + 4);
    t.write32(
      R.RSSRK(n),
      ((k[0] as number) |
        ((k[1] as number) << 8) |
        ((k[2] as number) << 16) |
        ((k[3] as number) << 24)) >>>
        0,
    );
  }
  for (let n = 0; n < 32; n++) {
    let v = 0;
    for (let k = 0; k < 4; k++) v |= ((4 * n + k) % QUEUES) << (8 * k);
    t.write32(R.RETA(n), v >>> 0);
  }
  t.write32(R.RXCSUM, R.RXCSUM_PCSD);
  t.write32(R.MRQC, R.MRQC_RSSEN | R.MRQC_RSS_FIELD_IPV4 | R.MRQC_RSS_FIELD_IPV4_UDP);
}

/** `n` generator frames over 64 flows, as separate arrays. */
function generated(n: number): Uint8Array[] {
  const g = new GeneratorWire("gen", {
    rate: Number.POSITIVE_INFINITY,
    size: 60,
    flows: 64,
    count: n,
    burst: 32,
    id: 5,
    dstMac: Uint8Array.from(PORT_MAC),
  });
  const out: Uint8Array[] = [];
  for (let i = 0; i < n; i++) {
    const f = new Uint8Array(60);
    expect(g.pull(f, 0, 60)).toBe(60);
    out.push(f);
  }
  return out;
}

/** Queue RSS picks for a generated frame, from the reference hash. */
function expectedQueue(f: Uint8Array): { q: number; hash: number } {
  const input = new Uint8Array(12);
  input.set(f.subarray(26, 34), 0); // source and destination address
  input.set(f.subarray(34, 38), 8); // ports
  const hash = toeplitzHash(KEY, input);
  return { q: (hash & 0x7f) % QUEUES, hash };
}

function flowOf(f: Uint8Array): number {
  return (f[OFF_FLOW] as number) * 256 + (f[OFF_FLOW + 1] as number);
}

/** Frames written back on `ring` (DD set), in ring order. */
function received(ring: RxRing): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let i = 0; i < ring.count && (ring.status(i) & R.RXDADV_STAT_DD) !== 0; i++) {
    out.push(ring.data(i));
  }
  return out;
}

describe("RX fast path with RSS", () => {
  let t: ConformanceTarget;
  beforeEach(() => {
    t = inProcessFactory()({ linkUpDelayMs: 1 });
    initPort(t);
    programRss(t);
  });
  afterEach(() => t.close());

  for (const [order, arrange] of [
    ["flows taking turns", (f: Uint8Array[]) => f],
    ["runs of one flow", (f: Uint8Array[]) => [...f].sort((a, b) => flowOf(a) - flowOf(b))],
  ] as const) {
    test(`${order}: each frame in its RETA queue, intact, in order; other buffers untouched`, () => {
      burst(arrange(generated(256)));
    });
  }

  function burst(frames: Uint8Array[]): void {
    const rings = [0, 1, 2, 3].map((q) => setupRx(t, q, { count: 128 }));
    for (const f of frames) t.inject(f);
    t.run(4);
    const byQueue: Uint8Array[][] = [[], [], [], []];
    for (const f of frames) byQueue[expectedQueue(f).q]?.push(f);
    for (let q = 0; q < QUEUES; q++) {
      const ring = rings[q] as RxRing;
      const got = received(ring);
      expect(got).toEqual(byQueue[q] as Uint8Array[]);
      for (let i = 0; i < got.length; i++) {
        const f = got[i] as Uint8Array;
        expect(ring.length(i)).toBe(60);
        expect(ring.descWord(i, 1) >>> 0).toBe(expectedQueue(f).hash);
        expect(ring.descWord(i, 0) & R.RXDADV_RSSTYPE_MASK).toBe(R.RXDADV_RSSTYPE_IPV4_UDP);
        expect(stampChecksum(f, 0, 60)).toBe(getU32(f, OFF_CSUM));
      }
      // The next descriptor is still in read format: a landing buffer is never written back.
      const lo = ring.descWord(got.length, 0);
      expect(lo >>> 0).toBe((t.memIova + ring.bufOff(got.length)) % 2 ** 32);
      expect(ring.status(got.length) & R.RXDADV_STAT_DD).toBe(0);
      expect(ring.head()).toBe(got.length);
    }
    expect(t.control.stats().rx.delivered).toBe(256);
  }

  test("a blocked queue without DROP_EN holds later frames in arrival order until it has descriptors", () => {
    const blocked = 2;
    const rings = [0, 1, 2, 3].map((q) =>
      setupRx(t, q, q === blocked ? { count: 64, give: 0, dropEn: false } : { count: 64 }),
    );
    const frames = generated(96);
    const first = frames.findIndex((f) => expectedQueue(f).q === blocked);
    expect(first).toBeGreaterThanOrEqual(0);
    for (const f of frames) t.inject(f);
    t.run(2);
    const early = frames.slice(0, first);
    let delivered = 0;
    for (let q = 0; q < QUEUES; q++) {
      const got = received(rings[q] as RxRing);
      expect(got).toEqual(early.filter((f) => expectedQueue(f).q === q));
      delivered += got.length;
    }
    expect(delivered).toBe(first);
    expect(t.control.stats().rx.waiting).toBe(96 - first);
    (rings[blocked] as RxRing).setTail(63);
    t.run(2);
    for (let q = 0; q < QUEUES; q++) {
      expect(received(rings[q] as RxRing)).toEqual(frames.filter((f) => expectedQueue(f).q === q));
    }
    expect(t.control.stats().rx.waiting).toBe(0);
    // Per flow, sequences arrive in order.
    const seen = new Map<number, number>();
    for (const ring of rings) {
      for (const f of received(ring)) {
        const flow = flowOf(f);
        const seq = getU32(f, OFF_SEQ);
        expect(seq).toBe(seen.get(flow) ?? 0);
        seen.set(flow, seq + 1);
      }
    }
  });
});
