/* cable: two ends back to back (and loopback), bounded rings with counted overflow, pairing rules. */
import { describe, expect, test } from "bun:test";
import type { IxgbeSimError } from "../src/errors.ts";
import type { Wire } from "../src/wire/wire.ts";
import { WireSet } from "../src/wire/wire-set.ts";

const frame = (len: number, seed: number) =>
  Uint8Array.from({ length: len }, (_, i) => (i * 31 + seed) & 0xff);

describe("cable", () => {
  test("frames cross in both directions, bytes intact, overflow dropped and counted", () => {
    using set = new WireSet();
    const a = set.open("a", "cable:b,slots=4");
    const b = set.open("b", "cable:a");
    set.checkComplete();
    const host = new Uint8Array(4096);
    for (let i = 0; i < 6; i++) a.push(frame(100 + i, i), 0, 100 + i); // 2 too many
    b.push(frame(1500, 9), 0, 1500);
    for (let i = 0; i < 4; i++) {
      expect(b.pull(host, 64, 2048)).toBe(100 + i);
      expect(host.subarray(64, 64 + 100 + i)).toEqual(frame(100 + i, i));
    }
    expect(b.pull(host, 0, 2048)).toBe(0);
    expect(a.pull(host, 0, 2048)).toBe(1500);
    expect(host.subarray(0, 1500)).toEqual(frame(1500, 9));
    expect(a.stats()).toMatchObject({ sent: 4, dropped: 2, received: 1, peer: "b" });
    expect(b.stats()).toMatchObject({ sent: 1, dropped: 0, received: 4, peer: "a" });
  });

  test("a frame longer than the host buffer arrives cut, with its full length", () => {
    using set = new WireSet();
    const a = set.open("a", "cable:b");
    const b = set.open("b", "cable:a");
    a.push(frame(200, 1), 0, 200);
    const host = new Uint8Array(128).fill(7);
    expect(b.pull(host, 0, 100)).toBe(200);
    expect(host.subarray(0, 100)).toEqual(frame(200, 1).subarray(0, 100));
    expect(host[100]).toBe(7);
  });

  test("generator -> cable -> sink passes validation", () => {
    using set = new WireSet();
    const gen = set.open("g", "gen:count=500,flows=16,size=256");
    const sink = set.open("s", "sink:latency=1");
    const a = set.open("a", "cable:b,slots=1024");
    const b = set.open("b", "cable:a");
    const host = new Uint8Array(2048);
    while (gen.pull(host, 0, 2048) > 0) a.push(host, 0, 256);
    for (let n = b.pull(host, 0, 2048); n > 0; n = b.pull(host, 0, 2048)) sink.push(host, 0, n);
    expect(sink.stats()).toMatchObject({ verdict: "pass", generatorFrames: 500, lost: 0 });
  });

  test("cable to itself is a loopback", () => {
    using set = new WireSet();
    const w = set.open("p0", "cable:p0");
    w.push(frame(60, 3), 0, 60);
    const host = new Uint8Array(60);
    expect(w.pull(host, 0, 60)).toBe(60);
    expect(host).toEqual(frame(60, 3));
  });

  test("pairing errors: unpaired end, wrong peer, peer already taken", () => {
    const set = new WireSet();
    set.open("a", "cable:b");
    expect(() => set.checkComplete()).toThrow(/"a" is cabled to "b", but "b" was not opened/);
    expect(() => set.open("b", "cable:c")).toThrow(/"b" needs cable:a, not cable:c/);
    set.open("x", "sink");
    const e = (() => {
      try {
        set.open("y", "cable:x");
      } catch (err) {
        return err as IxgbeSimError;
      }
    })();
    expect(e?.code).toBe("CABLE_UNPAIRED");
    expect(() => set.open("a", "sink")).toThrow(/already has a wire/);
    set.close();
    set.close(); // idempotent
  });

  test("after close, ends drop and produce nothing instead of touching freed memory", () => {
    const set = new WireSet();
    const a: Wire = set.open("a", "cable:b");
    const b: Wire = set.open("b", "cable:a");
    a.push(frame(60, 1), 0, 60);
    set.close();
    a.push(frame(60, 1), 0, 60);
    expect(b.pull(new Uint8Array(60), 0, 60)).toBe(0);
    expect(a.stats().dropped).toBe(1);
  });
});
