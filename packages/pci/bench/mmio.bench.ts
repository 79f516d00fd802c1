/*
 * Mmio.read32/write32 against raw Uint32Array access to the same shared mapping of a
 * 512 KiB resource0 file. Run: bun packages/pci/bench/mmio.bench.ts
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { bench, do_not_optimize, run, summary } from "mitata";
import { openDevice } from "../src/index.ts";

const base = mkdtempSync(`${tmpdir()}/dataplane-pci-bench-`);
const dir = `${base}/0000:03:00.0`;
mkdirSync(dir);
writeFileSync(`${dir}/config`, new Uint8Array(256));
writeFileSync(`${dir}/resource0`, new Uint8Array(512 * 1024));

const mmio = openDevice(`sysfs:${dir}`).mapResource(0);
const { view } = mmio.word(0);
const OFFSET = 0x01018; // RDT(0), a register a driver touches per batch
const INDEX = OFFSET >>> 2;
let v = 0;

summary(() => {
  bench("raw view[i] read (baseline)", () => do_not_optimize(view[INDEX])).baseline(true);
  bench("Atomics.load(view, i)", () => do_not_optimize(Atomics.load(view, INDEX)));
  bench("mmio.read32(off)", () => do_not_optimize(mmio.read32(OFFSET)));
});
summary(() => {
  bench("raw view[i] = v (baseline)", () => {
    view[INDEX] = v++;
  }).baseline(true);
  bench("Atomics.store(view, i, v)", () => {
    Atomics.store(view, INDEX, v++);
  });
  bench("mmio.write32(off, v)", () => {
    mmio.write32(OFFSET, v++);
  });
  bench("mmio.write32 + barrier()", () => {
    mmio.write32(OFFSET, v++);
    mmio.barrier();
  });
});

try {
  await run({ colors: false, throw: true });
} finally {
  mmio.close();
  rmSync(base, { recursive: true, force: true });
}
