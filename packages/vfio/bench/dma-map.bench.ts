/*
 * DMA map of a 1 GiB region over vfio-user (the server mmaps the client's memfd), against a
 * 2 MiB region as the baseline: DMA_MAP alone (the unmap that follows is not timed), and the
 * DMA_MAP + DMA_UNMAP pair. The 1 GiB region is one 1 GiB page if the pool has one free, else
 * 512 x 2 MiB pages. Run: bun bench/dma-map.bench.ts (from packages/vfio)
 */

import { constants as K } from "@dataplane/sys";
import { bench, run, summary } from "mitata";
import { connectVfioUser } from "../src/index.ts";
import { hugeMemory, spawnServer } from "../test/helpers.ts";

const GiB = 1 << 30;
const small = hugeMemory(2 << 20, "bench-dma-2m");
let big = hugeMemory(GiB, "bench-dma-1g", K.MFD_HUGE_1GB);
let bigKind = "1 x 1 GiB page";
if (typeof big === "string") {
  big = hugeMemory(GiB, "bench-dma-1g", K.MFD_HUGE_2MB);
  bigKind = "512 x 2 MiB pages";
}
if (typeof small === "string" || typeof big === "string") {
  throw new Error(`hugepages needed for this benchmark: ${String(small)} / ${String(big)}`);
}
const server = await spawnServer();
const dev = connectVfioUser(server.path);
const s = small;
const b = big;

/** DMA_MAP of `m` timed alone (ns); the DMA_UNMAP after it is not part of the sample. */
function mapOnly(m: typeof s) {
  return function* () {
    yield {
      manual() {
        const t0 = Bun.nanoseconds();
        const iova = dev.dmaMap(m);
        const took = Bun.nanoseconds() - t0;
        dev.dmaUnmap(iova, m.bytes);
        return took;
      },
    };
  };
}

summary(() => {
  bench("dmaMap, 2 MiB (baseline)", mapOnly(s)).baseline(true);
  bench(`dmaMap, 1 GiB (${bigKind})`, mapOnly(b));
});

summary(() => {
  bench("dmaMap + dmaUnmap, 2 MiB (baseline)", () => {
    dev.dmaUnmap(dev.dmaMap(s), s.bytes);
  }).baseline(true);
  bench(`dmaMap + dmaUnmap, 1 GiB (${bigKind})`, () => {
    dev.dmaUnmap(dev.dmaMap(b), b.bytes);
  });
});

try {
  await run({ colors: false, throw: true });
} finally {
  dev.close();
  await server.stop();
  s.free();
  b.free();
}
