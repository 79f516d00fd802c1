/*
 * Run by doorbell-disasm.ts under BUN_JSC_dump* with the concurrent JIT off: maps a file the
 * way the sysfs back-end maps resource0, resolves a tail register through the driver's Doorbell
 * and rings it until the JIT has compiled ring() at its top tier (FTL).
 *
 *   bun scripts/doorbell-warmup.ts [--atomics]
 *
 * --atomics rings through a copy of the old Atomics.store doorbell instead: the checker must
 * flag that one (it proves the check can fail).
 */
import { rmSync, writeFileSync } from "node:fs";
import { mapResourceFile } from "@dataplane/pci";
import { Doorbell } from "../src/doorbell.ts";
import { BAR0_SIZE, TDT } from "../src/regs/index.ts";

/** The doorbell before plain stores, kept only as the checker's negative control. */
class AtomicsDoorbell {
  constructor(
    private readonly view: Uint32Array,
    private readonly index: number,
  ) {}
  ring(value: number): void {
    Atomics.store(this.view, this.index, value);
  }
}

/** Calls well past JSC's FTL tier-up thresholds (thousands of calls plus loop iterations). */
const WARM_CALLS = 2_000_000;

const path = `/dev/shm/ixgbe-doorbell-${process.pid}`;
writeFileSync(path, new Uint8Array(BAR0_SIZE));
const bar = mapResourceFile(path);
try {
  const word = bar.word(TDT(0));
  const bell = process.argv.includes("--atomics")
    ? new AtomicsDoorbell(word.view, word.index)
    : new Doorbell(bar, TDT(0));
  for (let i = 0; i < WARM_CALLS; i++) bell.ring(i & 0x1ff);
  // The last value must have reached the mapping: the store was not dropped.
  const seen = bar.read32(TDT(0));
  if (seen !== ((WARM_CALLS - 1) & 0x1ff)) throw new Error(`tail reads ${seen}`);
  console.log(`warm-up done: ${WARM_CALLS} rings, tail = ${seen}`);
} finally {
  bar.close();
  rmSync(path, { force: true });
}
