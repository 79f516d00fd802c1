/*
 * A DMA buffer of a given size, per backing: the time to allocate + populate + prove it (each
 * step), and the length of its SG list. One allocation is the unit here (a 64 GiB one takes
 * seconds and most of a machine), so this runs each backing `--runs` times and prints the median
 * rather than looping under mitata; it is meant to be run on machines big enough for the size.
 * File backings run twice: in file order, and with physicalOrder ("+order": pages drawn again
 * in physical order, the shortest SG list); anonymous memory is always put in physical order.
 *
 *   bun packages/hugemem/bench/dma-buffer.bench.ts [--size 256M] [--page 2M|1G]
 *       [--backing memfd,anonymous,hugetlbfs] [--runs 3]
 *   e.g. on a 125 GiB machine with 64 free 1 GiB pages: --size 64G --page 1G --runs 1
 */
import { allocate, type Backing, PAGE_2M, status, summarize } from "../src/index.ts";
import { parseSizeText } from "../src/size.ts";

function option(name: string, fallback: string): string {
  const i = process.argv.indexOf(name);
  return i >= 0 ? (process.argv[i + 1] ?? fallback) : fallback;
}

const bytes = parseSizeText(option("--size", "256M"));
const page = option("--page", "2M") as "2M" | "1G";
const runs = Number(option("--runs", "3"));
const hasMount = status().mounts.some((m) => m.pageSize === (page === "1G" ? 1024 ** 3 : PAGE_2M));
const backings = option(
  "--backing",
  hasMount ? "memfd,anonymous,hugetlbfs" : "memfd,anonymous",
).split(",") as Backing[];
if (!Number.isSafeInteger(bytes) || bytes <= 0 || !(runs >= 1)) {
  console.error(
    "usage: dma-buffer.bench.ts [--size 256M] [--page 2M|1G] [--backing memfd,anonymous] [--runs 3]",
  );
  process.exit(2);
}

const median = (xs: number[]): number =>
  [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
const ms = (x: number): string => `${x.toFixed(1)} ms`;

console.log(`${bytes / 2 ** 20} MiB of ${page} pages, median of ${runs} run(s)\n`);
console.log(
  "backing         map+populate  lock      prove     addresses  order     total      segments  largest",
);
const variants = backings.flatMap(
  (backing): { backing: Backing; physicalOrder: boolean; label: string }[] =>
    backing === "anonymous"
      ? [{ backing, physicalOrder: true, label: "anonymous" }]
      : [
          { backing, physicalOrder: false, label: `${backing}` },
          { backing, physicalOrder: true, label: `${backing}+order` },
        ],
);
for (const { backing, physicalOrder, label } of variants) {
  const rows: { t: number[]; segments: number; largest: number }[] = [];
  for (let r = 0; r < runs; r++) {
    const t0 = performance.now();
    const region = allocate({
      bytes,
      pageSize: page,
      backing,
      physicalOrder,
      name: "dma-buffer-bench",
    });
    const total = performance.now() - t0;
    const sum = summarize(region.segments());
    const t = region.timings;
    rows.push({
      t: [t.mapMs, t.lockMs, t.proveMs, t.addressesMs, t.orderMs, total],
      segments: sum.count,
      largest: sum.largest,
    });
    region.close();
  }
  const col = (k: number) => ms(median(rows.map((row) => row.t[k] as number))).padEnd(10);
  const segments = median(rows.map((row) => row.segments));
  const largest = median(rows.map((row) => row.largest));
  console.log(
    `${label.padEnd(16)}${col(0).padEnd(14)}${col(1)}${col(2)}${col(3).padEnd(11)}${col(4)}${col(5).padEnd(11)}${String(segments).padEnd(10)}${largest / 2 ** 20} MiB`,
  );
}
