/*
 * The generator's and the sink's word paths (taken when the port passes a 32-bit view): the
 * generator must write exactly what its byte path writes, and the sink's learned-flow check
 * must reach the same verdict as a full checksum pass for every kind of damage.
 */
import { describe, expect, test } from "bun:test";
import { getU32, OFF_CSUM, OFF_SEQ, OFF_TS, stampChecksum } from "../src/wire/frame.ts";
import { GeneratorWire } from "../src/wire/generator.ts";
import { SinkWire } from "../src/wire/sink.ts";

const SLOT = 9216;

function gen(size: number, flows: number, id = 1): GeneratorWire {
  return new GeneratorWire("gen", {
    rate: Number.POSITIVE_INFINITY,
    size,
    flows,
    count: Number.POSITIVE_INFINITY,
    burst: 7, // several clock reads (timestamps) per test
    id,
    dstMac: Uint8Array.of(2, 0, 0, 0, 0, 1),
  });
}

/** A buffer with byte and word views, one frame slot of SLOT bytes per frame. */
function slots(n: number): { u8: Uint8Array; u32: Uint32Array } {
  const ab = new ArrayBuffer(SLOT * n);
  return { u8: new Uint8Array(ab), u32: new Uint32Array(ab) };
}

describe("generator word path", () => {
  for (const size of [60, 61, 62, 63, 64, 127, 1500, 9000]) {
    test(`size ${size}: the same bytes as the byte path, valid checksums`, () => {
      const n = 150; // more than two rounds of 64 flows: the sequence moves
      const words = gen(size, 64);
      const bytes = gen(size, 64);
      const a = slots(n);
      const b = slots(n);
      for (let i = 0; i < n; i++) {
        expect(words.pull(a.u8, i * SLOT, SLOT, a.u32)).toBe(size);
        expect(bytes.pull(b.u8, i * SLOT + 2, SLOT)).toBe(size); // unaligned: byte path
      }
      for (let i = 0; i < n; i++) {
        const fa = a.u8.subarray(i * SLOT, i * SLOT + size);
        const fb = b.u8.subarray(i * SLOT + 2, i * SLOT + 2 + size);
        expect(stampChecksum(fa, 0, size)).toBe(getU32(fa, OFF_CSUM));
        expect(stampChecksum(fb, 0, size)).toBe(getU32(fb, OFF_CSUM));
        // Equal except the timestamp (each generator read its own clock) and the checksum.
        expect(fa.subarray(0, OFF_TS)).toEqual(fb.subarray(0, OFF_TS));
        expect(fa.subarray(OFF_CSUM + 4)).toEqual(fb.subarray(OFF_CSUM + 4));
      }
      expect(getU32(a.u8, (n - 1) * SLOT + OFF_SEQ)).toBe(Math.floor((n - 1) / 64));
    });
  }

  test("an unaligned offset with a word view falls back to bytes", () => {
    const g = gen(60, 4);
    const a = slots(1);
    expect(g.pull(a.u8, 1, SLOT, a.u32)).toBe(60);
    const f = a.u8.subarray(1, 61);
    expect(stampChecksum(f, 0, 60)).toBe(getU32(f, OFF_CSUM));
  });
});

describe("sink word path", () => {
  /** Pushes `n` fresh frames with the word view; returns the sink. */
  function feed(size: number, n: number, damage?: (f: Uint8Array, i: number) => void) {
    const g = gen(size, 8, 9);
    const s = new SinkWire("sink", { latencyEvery: 0 });
    const buf = slots(1);
    for (let i = 0; i < n; i++) {
      g.pull(buf.u8, 0, SLOT, buf.u32);
      damage?.(buf.u8.subarray(0, size), i);
      s.push(buf.u8, 0, size, buf.u32);
    }
    return s.stats();
  }

  test("intact frames of every size pass (learned flows take the word check)", () => {
    for (const size of [60, 61, 63, 200, 1501, 9000]) {
      const st = feed(size, 100);
      expect(st.verdict).toBe("pass");
      expect(st.generatorFrames).toBe(100);
    }
  });

  // Damage after the flows were learned (frame index >= 8), in every part the check covers.
  const cases: [string, number, (size: number) => number][] = [
    ["an IPv4 address byte", 60, () => 29],
    ["the flow's UDP port", 60, () => 35],
    ["a sequence byte", 60, () => OFF_SEQ + 3],
    ["a timestamp byte", 60, () => OFF_TS],
    ["the checksum", 60, () => OFF_CSUM + 1],
    ["a pattern byte in a whole word", 1500, () => 700],
    ["the last pattern byte of an odd size", 61, (size) => size - 1],
    ["the last pattern byte of a jumbo frame", 9000, (size) => size - 1],
  ];
  for (const [what, size, at] of cases) {
    test(`damage to ${what} is caught`, () => {
      const st = feed(size, 40, (f, i) => {
        if (i === 20) f[at(size)] = (f[at(size)] as number) ^ 0x10;
      });
      expect(st.corrupted).toBe(1);
      expect(st.generatorFrames).toBe(39);
      expect(st.verdict).toBe("fail");
    });
  }

  test("a damaged first frame of a flow is not learned", () => {
    const st = feed(60, 40, (f, i) => {
      if (i === 0) f[30] = (f[30] as number) ^ 1;
    });
    expect(st.corrupted).toBe(1);
    expect(st.generatorFrames).toBe(39);
  });

  test("frames of another size from the same generator id are checked in full", () => {
    const s = new SinkWire("sink", { latencyEvery: 0 });
    const buf = slots(1);
    for (const size of [60, 300, 60, 300]) {
      const g = gen(size, 2, 4);
      for (let i = 0; i < 10; i++) {
        g.pull(buf.u8, 0, SLOT, buf.u32);
        s.push(buf.u8, 0, size, buf.u32);
      }
    }
    const st = s.stats();
    expect(st.corrupted).toBe(0);
    expect(st.generatorFrames).toBe(40);
  });
});
