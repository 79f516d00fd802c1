/*
 * DMA_MAP + DMA_UNMAP round trips: the server mmaps (and later munmaps) the client's memfd.
 * A 2 MiB hugepage region is the baseline for a 1 GiB region (one 1 GiB page if the pool has
 * one free, else 512 x 2 MiB pages). Run: bun bench/dma-map.bench.ts
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

summary(() => {
  bench("dmaMap + dmaUnmap, 2 MiB (baseline)", () => {
    dev.dmaUnmap(dev.dmaMap(s), s.bytes);
  });
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
