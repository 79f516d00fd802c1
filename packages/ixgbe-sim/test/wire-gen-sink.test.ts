/* Generator -> sink round trips in-process, with loss, reordering, duplication and corruption injected. */
import { describe, expect, test } from "bun:test";
import { ipv4Checksum, OFF_FLOW, OFF_SEQ, stampChecksum } from "../src/wire/frame.ts";
import { GeneratorWire } from "../src/wire/generator.ts";
import { type SinkStats, SinkWire } from "../src/wire/sink.ts";
import type { Wire } from "../src/wire/wire.ts";
import { WireSet } from "../src/wire/wire-set.ts";

const BUF = 9216; // one slot per frame, large enough for 9000-byte frames

/** Pulls up to n frames from `from`, each into its own slot of one buffer. */
function pullFrames(
  from: Wire,
  n: number,
  buf = new Uint8Array(BUF * n),
): { buf: Uint8Array; lens: number[] } {
  const lens: number[] = [];
  for (let i = 0; i < n; i++) {
    const len = from.pull(buf, i * BUF, BUF);
    if (len === 0) break;
    lens.push(len);
  }
  return { buf, lens };
}

/** Pushes frames in the order given by `order` (indices into the pulled frames). */
function pushOrder(to: Wire, f: { buf: Uint8Array; lens: number[] }, order: number[]): void {
  for (const i of order) to.push(f.buf, i * BUF, f.lens[i] as number);
}

const range = (n: number) => Array.from({ length: n }, (_, i) => i);

function linked(gen: string, sink = "sink:latency=1"): { set: WireSet; g: Wire; s: Wire } {
  const set = new WireSet();
  return { set, g: set.open("p0", gen, { mac: "02:00:00:00:00:01" }), s: set.open("p1", sink) };
}

describe("gen -> sink", () => {
  test("clean round trip: every frame intact, in order, counted, latency sampled", () => {
    for (const size of [60, 1500, 9000]) {
      using w = linked(`gen:count=1000,flows=8,size=${size}`).set;
      const g = w.get("p0") as Wire;
      const s = w.get("p1") as Wire;
      pushOrder(s, pullFrames(g, 1000), range(1000));
      expect(g.pull(new Uint8Array(BUF), 0, BUF)).toBe(0); // count reached
      const st = s.stats() as SinkStats;
      expect(st.verdict).toBe("pass");
      expect(st.generatorFrames).toBe(1000);
      expect(st.bytes).toBe(1000 * size);
      expect(st.generators).toEqual([
        expect.objectContaining({
          sent: 1000,
          received: 1000,
          lost: 0,
          reordered: 0,
          duplicated: 0,
        }),
      ]);
      expect(st.latencyNs.samples).toBe(1000);
      expect(st.latencyNs.max).toBeGreaterThan(0);
    }
  });

  test("frames are valid Ethernet/IPv4/UDP with distinct 5-tuples per flow", () => {
    const g = new GeneratorWire("gen", {
      rate: Infinity,
      size: 128,
      flows: 4,
      count: Infinity,
      burst: 32,
      id: 3,
      dstMac: Uint8Array.of(2, 0, 0, 0, 0, 9),
    });
    const { buf, lens } = pullFrames(g, 8);
    const tuples = new Set<string>();
    for (let i = 0; i < 8; i++) {
      const f = buf.subarray(i * BUF, i * BUF + (lens[i] as number));
      const dv = new DataView(f.buffer, f.byteOffset);
      expect(Array.from(f.subarray(0, 6))).toEqual([2, 0, 0, 0, 0, 9]);
      expect(dv.getUint16(12)).toBe(0x0800);
      expect(dv.getUint16(16)).toBe(128 - 14);
      expect(dv.getUint16(38)).toBe(128 - 34);
      const saved = dv.getUint16(24);
      dv.setUint16(24, 0);
      expect(ipv4Checksum(f, 14)).toBe(saved);
      dv.setUint16(24, saved);
      expect(dv.getUint16(OFF_FLOW)).toBe(i % 4);
      expect(dv.getUint32(OFF_SEQ)).toBe(Math.floor(i / 4));
      expect(stampChecksum(f, 0, 128)).toBe(dv.getUint32(56));
      tuples.add(`${dv.getUint32(26)}/${dv.getUint32(30)}/${dv.getUint16(34)}/${dv.getUint16(36)}`);
    }
    expect(tuples.size).toBe(4);
  });

  test("dst MAC defaults to the port MAC, else broadcast; dst= overrides", () => {
    using set = new WireSet();
    const first = (w: Wire) => Array.from(pullFrames(w, 1).buf.subarray(0, 6));
    expect(first(set.open("a", "gen", { mac: "02:aa:00:00:00:01" }))).toEqual([
      2, 0xaa, 0, 0, 0, 1,
    ]);
    expect(first(set.open("b", "gen"))).toEqual([255, 255, 255, 255, 255, 255]);
    expect(first(set.open("c", "gen:dst=02:bb:00:00:00:02", { mac: "02:aa:00:00:00:01" }))).toEqual(
      [2, 0xbb, 0, 0, 0, 2],
    );
  });

  test("rewritten MACs and ixy's touched byte 1 are outside the checksum", () => {
    using set = linked("gen:count=100").set;
    const f = pullFrames(set.get("p0") as Wire, 100);
    for (let i = 0; i < 100; i++) {
      for (let b = 0; b < 12; b++) f.buf[i * BUF + b] = 0x5a ^ b;
      f.buf[i * BUF + 1] = (f.buf[i * BUF + 1] as number) + 1;
    }
    pushOrder(set.get("p1") as Wire, f, range(100));
    expect((set.get("p1") as Wire).stats().verdict).toBe("pass");
  });

  test("loss is counted exactly, including loss after the last frame (linked)", () => {
    using set = linked("gen:count=200,flows=3").set;
    const f = pullFrames(set.get("p0") as Wire, 200);
    const dropped = new Set([0, 5, 6, 7, 50, 101, 197, 198, 199]); // 197..199: tail loss
    pushOrder(
      set.get("p1") as Wire,
      f,
      range(200).filter((i) => !dropped.has(i)),
    );
    const st = (set.get("p1") as Wire).stats() as SinkStats;
    expect(st.lost).toBe(9);
    expect(st.generators[0].lostInSequence).toBe(6); // gaps only: the tail is invisible to them
    expect(st.reordered + st.duplicated + st.corrupted).toBe(0);
    expect(st.verdict).toBe("fail");
  });

  test("reordering and duplication are told apart and counted exactly", () => {
    using set = linked("gen:count=100,flows=2").set;
    const f = pullFrames(set.get("p0") as Wire, 100);
    const order = range(100);
    for (const i of [10, 20, 30, 40])
      [order[i], order[i + 2]] = [order[i + 2] as number, order[i] as number];
    order.push(3, 3, 99); // frame 3 twice more, 99 once more
    pushOrder(set.get("p1") as Wire, f, order);
    const st = (set.get("p1") as Wire).stats() as SinkStats;
    // With 2 flows, frames i and i+2 are consecutive sequences of one flow: each swap makes
    // one early arrival (a gap of 1) and one late one that fills it: 4 reordered, no loss.
    expect(st.reordered).toBe(4);
    expect(st.duplicated).toBe(3);
    expect(st.lost).toBe(0);
    expect(st.problems).toEqual(["4 reordered", "3 duplicated"]);
  });

  test("corruption under the checksum is counted; the frame is also missing", () => {
    using set = linked("gen:count=50,size=200").set;
    const f = pullFrames(set.get("p0") as Wire, 50);
    for (const [frame, byte] of [
      [4, 190],
      [9, OFF_SEQ + 3],
      [20, 30],
      [33, 40],
      [45, 13],
    ] as const) {
      f.buf[frame * BUF + byte] = (f.buf[frame * BUF + byte] as number) ^ 0x10;
    }
    f.lens[40] = 150; // truncated: shorter than its IPv4 length
    pushOrder(set.get("p1") as Wire, f, range(50));
    const st = (set.get("p1") as Wire).stats() as SinkStats;
    // Byte 13 is the ethertype: still a generator frame by its stamp, and corrupted.
    expect(st.corrupted).toBe(6);
    expect(st.otherFrames).toBe(0);
    expect(st.lost).toBe(6);
  });

  test("damaged fixed headers (ethertype, IPv4, UDP) are corruption, not other frames", () => {
    using set = linked("gen:count=40,size=60").set;
    const f = pullFrames(set.get("p0") as Wire, 40);
    // ethertype, IPv4 version/IHL, total length, protocol, UDP ports and length
    const damaged = [12, 13, 14, 16, 17, 23, 34, 36, 38, 41];
    damaged.forEach((byte, i) => {
      const at = i * 4 * BUF + byte;
      f.buf[at] = (f.buf[at] as number) ^ 0x5a;
    });
    pushOrder(set.get("p1") as Wire, f, range(40));
    const st = (set.get("p1") as Wire).stats() as SinkStats;
    expect([st.corrupted, st.otherFrames, st.generatorFrames]).toEqual([10, 0, 30]);
    expect(st.verdict).toBe("fail");
  });

  test("frames without the stamp count as other frames", () => {
    const s = new SinkWire("sink", { latencyEvery: 0 });
    s.push(new Uint8Array(60), 0, 60);
    s.push(new Uint8Array(20), 0, 20);
    const st = s.stats() as SinkStats;
    expect([st.frames, st.otherFrames, st.generatorFrames]).toEqual([2, 2, 0]);
    expect(st.verdict).toBe("fail"); // nothing validated
  });

  test("latency reflects time between pull and push", async () => {
    using set = linked("gen:count=64,burst=64").set;
    const f = pullFrames(set.get("p0") as Wire, 64);
    await Bun.sleep(30);
    pushOrder(set.get("p1") as Wire, f, range(64));
    const lat = (set.get("p1") as Wire).stats().latencyNs as Record<string, number>;
    expect(lat.samples).toBe(64);
    expect(lat.p50).toBeGreaterThanOrEqual(30e6);
    expect(lat.max).toBeLessThan(2e9);
  });

  test("rate limiting stays within generous bounds", () => {
    // A burst of 50 ms worth of frames: a busy loop that loses the CPU for a while on a loaded
    // machine still finds the tokens that accrued meanwhile, so the count tracks the clock.
    const burst = 1000;
    const g = new WireSet().open("p0", `gen:rate=20k,burst=${burst}`);
    const buf = new Uint8Array(BUF);
    const t0 = performance.now();
    let n = 0;
    while (performance.now() - t0 < 300) n += g.pull(buf, 0, BUF) > 0 ? 1 : 0;
    const elapsed = (performance.now() - t0) / 1000;
    expect(n).toBeGreaterThan(20000 * elapsed * 0.5);
    expect(n).toBeLessThan(20000 * elapsed * 1.2 + burst);
  });

  test("a host buffer shorter than the frame gets a truncated copy and the full length", () => {
    const g = new WireSet().open("p0", "gen:size=100");
    const buf = new Uint8Array(100).fill(0xee);
    expect(g.pull(buf, 0, 64)).toBe(100);
    expect(buf[63]).not.toBe(0xee);
    expect(buf[64]).toBe(0xee);
    expect(g.stats().truncated).toBe(1);
  });
});
