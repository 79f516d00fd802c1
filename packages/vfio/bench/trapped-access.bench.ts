/*
 * Register access cost over vfio-user: a trapped 32-bit read or write (one REGION_READ/WRITE
 * round trip to the server process) against a read of a word in an mmapped sparse area.
 * Run: bun bench/trapped-access.bench.ts
 */
import { bench, do_not_optimize, run, summary } from "mitata";
import { connectVfioUser, REGION_BAR0 } from "../src/index.ts";
import { MMAP_START, REG } from "../test/fixtures/test-device.ts";
import { spawnServer } from "../test/helpers.ts";

const server = await spawnServer();
const dev = connectVfioUser(server.path);
const bar = dev.mapRegion(REGION_BAR0);
const word = bar.word(MMAP_START);
if (word === null) throw new Error("the test device maps its second half");
const { view, index } = word;

summary(() => {
  bench("mmapped word: Atomics.load (baseline)", () =>
    do_not_optimize(Atomics.load(view, index)),
  ).baseline(true);
  bench("mmapped word: Mmio.read32", () => do_not_optimize(bar.read32(MMAP_START)));
  bench("trapped Mmio.read32 (REGION_READ round trip)", () => do_not_optimize(bar.read32(REG.ID)));
  bench("trapped Mmio.write32 (REGION_WRITE round trip)", () => bar.write32(REG.SCRATCH, 1));
});

try {
  await run({ colors: false, throw: true });
} finally {
  dev.close();
  await server.stop();
}
