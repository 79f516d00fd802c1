/* Statistics accumulators: widths, wrap, L/H latching of 36-bit octet counters. */
import { describe, expect, test } from "bun:test";
import * as R from "@dataplane/ixgbe/regs";
import { Counters, S, STAT_REGISTERS, sizeBin } from "../src/model/stats.ts";

const reg = (offset: number) => {
  const r = STAT_REGISTERS.find((x) => x.offset === offset);
  if (r === undefined) throw new Error(`no stat at 0x${offset.toString(16)}`);
  return r;
};

describe("statistics registers", () => {
  test("36-bit octet counter: L returns bits 31:0 and latches 35:32 for H; both clear", () => {
    const c = new Counters();
    c.acc[S.GORC] = 5 * 2 ** 32 + 123;
    expect(c.read(reg(R.GORCL))).toBe(123);
    expect(c.read(reg(R.GORCH))).toBe(5);
    expect(c.read(reg(R.GORCH))).toBe(0);
    expect(c.read(reg(R.GORCL))).toBe(0);
    c.acc[S.GOTC] = 2 ** 36 + 7; // wraps at 36 bits
    expect(c.read(reg(R.GOTCL))).toBe(7);
    expect(c.read(reg(R.GOTCH))).toBe(0);
  });

  test("32-bit counters wrap and clear on read; peek has no side effect", () => {
    const c = new Counters();
    c.acc[S.GPRC] = 2 ** 32 + 9;
    expect(c.peek(reg(R.GPRC))).toBe(9);
    expect(c.read(reg(R.GPRC))).toBe(9);
    expect(c.read(reg(R.GPRC))).toBe(0);
  });

  test("per-slot registers and the QPTC alias point at the same counter", () => {
    expect(reg(R.QPTC(7)).id).toBe(S.QPTC + 7);
    expect(reg(R.QPTC_ALIAS(7)).id).toBe(S.QPTC + 7);
    expect(reg(R.QBRC_H(3))).toMatchObject({ id: S.QBRC + 3, half: 1, wide: true });
    expect(reg(R.MPC(0)).id).toBe(S.MPC);
    const offsets = STAT_REGISTERS.map((r) => r.offset);
    expect(new Set(offsets).size).toBe(offsets.length);
  });

  test("size bins follow the PRC/PTC ranges (length incl. FCS)", () => {
    expect([64, 65, 127, 128, 255, 256, 511, 512, 1023, 1024, 1522].map(sizeBin)).toEqual([
      0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5,
    ]);
  });
});
