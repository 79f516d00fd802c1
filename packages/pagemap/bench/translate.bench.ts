/*
 * Range translation cost per 4 KiB page: one pread for the whole range (and the per-huge-page
 * cache) against the naive open + seek + read + close per lookup, in the same summary. Needs
 * root (PFNs) and one free 2 MiB hugepage. Run: bun packages/pagemap/bench/translate.bench.ts
 */
import { constants as C, close, lseek, mmap, open, read } from "@dataplane/sys";
import { bench, do_not_optimize, run, summary } from "mitata";
import { entryPfn, Pagemap } from "../src/index.ts";

const PAGES = 512; // one 2 MiB hugepage, 512 pagemap entries
const bytes = PAGES * 4096;
const address = mmap(
  bytes,
  C.PROT_READ | C.PROT_WRITE,
  C.MAP_SHARED | C.MAP_ANONYMOUS | C.MAP_HUGETLB | C.MAP_HUGE_2MB | C.MAP_POPULATE,
);
const out = new Float64Array(PAGES);
const word = new Uint32Array(2);
const batched = Pagemap.open("self", { learnPageSize: false });
const cached = Pagemap.open("self", { pageSize: 2 * 1024 * 1024 });
batched.translate(address); // fails fast (PFN_HIDDEN) when not root

// What a lookup costs with nothing kept open: open, seek to the entry, read 8 bytes, close.
function naive(va: number): number {
  const fd = open("/proc/self/pagemap", C.O_RDONLY);
  lseek(fd, (va / 4096) * 8);
  read(fd, word, 8);
  close(fd);
  return entryPfn(word[0] as number, word[1] as number) * 4096;
}

summary(() => {
  bench(`open+lseek+read+close per page x${PAGES} (baseline)`, () => {
    for (let i = 0; i < PAGES; i++) out[i] = naive(address + i * 4096);
    do_not_optimize(out);
  }).baseline(true);
  bench(`translateRange, one pread for ${PAGES} pages`, () => {
    do_not_optimize(batched.translateRange(address, PAGES, out));
  });
  bench(`translateRange, huge-page cache hit, ${PAGES} pages`, () => {
    do_not_optimize(cached.translateRange(address, PAGES, out));
  });
});

const result = await run();
const perPage: number[] = [];
console.log("\nns per page:");
for (const trial of result.benchmarks) {
  const avg = trial.runs[0]?.stats?.avg;
  if (avg === undefined) continue;
  perPage.push(avg / PAGES);
  console.log(`  ${(avg / PAGES).toFixed(1).padStart(8)}  ${trial.alias}`);
}
const [baseline = Number.NaN, batchedPerPage = Number.NaN] = perPage;
const ratio = baseline / batchedPerPage;
console.log(
  `\nbatched: ${ratio.toFixed(0)}x the per-lookup baseline (target 50x: ${ratio >= 50 ? "met" : "NOT met"})`,
);
