import { describe, expect, test } from "bun:test";
import { decodeEntry, entryFlagNames, entryPfn } from "../src/index.ts";

// Entries are built bit by bit from the layout in Documentation/admin-guide/mm/pagemap.rst.
const bit = (n: number): [number, number] => (n < 32 ? [2 ** n, 0] : [0, 2 ** (n - 32)]);
const or = (...parts: [number, number][]): [number, number] => [
  parts.reduce((a, p) => (a | p[0]) >>> 0, 0),
  parts.reduce((a, p) => (a | p[1]) >>> 0, 0),
];

describe("decodeEntry", () => {
  test("each flag bit lands in its own field", () => {
    const cases: [number, keyof ReturnType<typeof decodeEntry>][] = [
      [63, "present"],
      [62, "swapped"],
      [61, "fileOrShared"],
      [56, "exclusive"],
      [55, "softDirty"],
    ];
    for (const [n, field] of cases) {
      const [lo, hi] = bit(n);
      const e = decodeEntry(lo, hi);
      expect(e[field]).toBe(true);
      const others = Object.entries(e).filter(([k, v]) => k !== field && k !== "pfn" && v === true);
      expect(others).toEqual([]);
    }
  });

  test("the PFN is bits 0..54 and reads as 0 unless present", () => {
    const top = or(bit(63), bit(54), bit(32), bit(31), bit(0));
    expect(entryPfn(top[0], top[1])).toBe(2 ** 54 + 2 ** 32 + 2 ** 31 + 1);
    const flagsOnly = or(bit(63), bit(62), bit(61), bit(56), bit(55));
    expect(entryPfn(flagsOnly[0], flagsOnly[1])).toBe(0);
    const notPresent = or(bit(20), bit(40));
    expect(entryPfn(notPresent[0], notPresent[1])).toBe(0);
  });

  test("flag names come out in a fixed order", () => {
    const [lo, hi] = or(bit(63), bit(56), bit(55), bit(61));
    expect(entryFlagNames(decodeEntry(lo, hi))).toEqual([
      "present",
      "exclusive",
      "soft-dirty",
      "file/shared",
    ]);
  });
});
