/*
 * bunx hugemem alloc <size> [--page 2M|1G] [--backing memfd|hugetlbfs|anonymous]
 *                             [--contiguous] [--keep-order] [--json] [--hold]
 * Allocates, populates and proves a DMA buffer, its pages in physical order (the shortest SG
 * list; --keep-order skips that) and prints what a device programmer needs. With
 * --hold it keeps the buffer (and its memfd, reachable as /proc/<pid>/fd/<fd>) until SIGINT or
 * SIGTERM, then frees everything.
 */
import { allocate } from "./allocate.ts";
import type { Backing } from "./backing.ts";
import { pageOption, parseOptions, sizeArgument, UsageError } from "./cli-args.ts";
import { fdPath, regionJson, regionLines } from "./cli-report.ts";

const BACKINGS = ["memfd", "hugetlbfs", "anonymous"];

const KNOWN = {
  "--page": "value",
  "--backing": "value",
  "--contiguous": "flag",
  "--json": "flag",
  "--hold": "flag",
  "--keep-order": "flag",
} as const;

/** Runs `alloc`; resolves to the exit code (after the signal, with --hold). */
export async function runAlloc(args: readonly string[]): Promise<number> {
  const { options, rest } = parseOptions(args, KNOWN);
  if (rest.length !== 1) throw new UsageError("alloc takes one size, e.g. alloc 512M --page 2M");
  const bytes = sizeArgument(rest[0], "size");
  const backing = options.get("--backing") ?? "memfd";
  if (!BACKINGS.includes(backing)) {
    throw new UsageError(`--backing takes ${BACKINGS.join(", ")}, not ${backing}`);
  }
  const hold = options.has("--hold");
  if (hold && backing === "anonymous") {
    throw new UsageError(
      "--hold shares the memory by its fd; anonymous memory has none, use --backing memfd",
    );
  }
  const region = allocate({
    bytes,
    pageSize: pageOption(options.get("--page"), "--page"),
    backing: backing as Backing,
    contiguous: options.has("--contiguous"),
    physicalOrder: !options.has("--keep-order"),
    name: "hugemem-alloc",
  });
  try {
    // Signal handlers go in before anything is printed: whoever reads the report may signal at once.
    const released = hold ? untilSignal() : null;
    const segments = region.pages.length > 0 ? region.segments() : [];
    if (options.has("--json")) console.log(JSON.stringify(regionJson(region, segments)));
    else {
      for (const line of regionLines(region, segments)) console.log(line);
      if (segments.length === 0) console.log("SG list: unknown, physical addresses need root");
    }
    if (released === null) return 0;
    console.error(
      `holding: another process opens the buffer at ${fdPath(region)} (bytes ${region.fdOffset} .. ${region.fdOffset + region.bytes}, ` +
        `e.g. open + mmap MAP_SHARED, or pass the fd to a vfio-user server); Ctrl-C or SIGTERM frees it`,
    );
    await released;
    console.error("freed");
    return 0;
  } finally {
    region.close();
  }
}

/** Resolves on the first SIGINT or SIGTERM; keeps the process alive until then. */
function untilSignal(): Promise<void> {
  return new Promise((resolve) => {
    const keepAlive = setInterval(() => {}, 1 << 30);
    const done = () => {
      clearInterval(keepAlive);
      process.off("SIGINT", done);
      process.off("SIGTERM", done);
      resolve();
    };
    process.on("SIGINT", done);
    process.on("SIGTERM", done);
  });
}
