/*
 * The tail store a doorbell emits, read from the JIT's own dump after warm-up: one plain 32-bit
 * mov at the top tier, no xchg/lock/fence (see scripts/doorbell-disasm.ts for how it reads the
 * dump). The Atomics.store control proves the same check does catch an xchg.
 */
import { expect, test } from "bun:test";
import { dumpDoorbell, parseDump, problems } from "../scripts/doorbell-disasm.ts";

test("Doorbell.ring() compiles to a plain 32-bit store (no xchg, no lock)", () => {
  const code = parseDump(dumpDoorbell());
  expect(problems(code)).toEqual([]);
  expect(code.stores).toHaveLength(1);
  expect(code.stores[0]).toMatch(/^Move32 %\w+, \(/);
  expect(code.dfgStores.every((n) => n.includes("PutByVal("))).toBe(true);
}, 60_000);

test("the check flags an Atomics.store doorbell (xchg)", () => {
  const code = parseDump(dumpDoorbell(true));
  expect(code.locked.some((i) => /^AtomicXchg32 /.test(i))).toBe(true);
  expect(problems(code).length).toBeGreaterThan(0);
}, 60_000);
