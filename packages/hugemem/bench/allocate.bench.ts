/*
 * Time to allocate, populate (zero) and prove 1 GiB of 2 MiB hugepages, then give it back,
 * against populating 1 GiB of ordinary 4 KiB pages. Needs 512 free 2 MiB pages (root for the
 * kpageflags proof). Run: bun packages/hugemem/bench/allocate.bench.ts
 */
import { constants as C, mmap, munmap } from "@dataplane/sys";
import { bench, do_not_optimize, run, summary } from "mitata";
import { allocate } from "../src/index.ts";

const GIB = 1024 ** 3;
const HUGE_PAGES = GIB / (2 * 1024 * 1024);
const SMALL_PAGES = GIB / 4096;

summary(() => {
  bench("1 GiB of 4 KiB pages: mmap MAP_POPULATE + munmap (baseline)", () => {
    const a = mmap(
      GIB,
      C.PROT_READ | C.PROT_WRITE,
      C.MAP_PRIVATE | C.MAP_ANONYMOUS | C.MAP_POPULATE,
    );
    munmap(a, GIB);
    do_not_optimize(a);
  }).baseline(true);
  bench("1 GiB of 2 MiB pages: allocate (memfd) + close", () => {
    const region = allocate({ bytes: GIB, name: "bench" });
    do_not_optimize(region.address);
    region.close();
  });
  bench("1 GiB of 2 MiB pages: allocate (anonymous) + close", () => {
    const region = allocate({ bytes: GIB, backing: "anonymous", name: "bench" });
    do_not_optimize(region.address);
    region.close();
  });
});

const result = await run({ colors: false });
console.log("\nper page:");
for (const trial of result.benchmarks) {
  const avg = trial.runs[0]?.stats?.avg;
  if (avg === undefined) continue;
  const pages = trial.alias.includes("4 KiB") ? SMALL_PAGES : HUGE_PAGES;
  const perPage = `${(avg / pages).toFixed(0)} ns per ${pages === SMALL_PAGES ? "4 KiB" : "2 MiB"} page`;
  console.log(`  ${(avg / 1e6).toFixed(1).padStart(8)} ms  ${perPage.padEnd(26)} ${trial.alias}`);
}
