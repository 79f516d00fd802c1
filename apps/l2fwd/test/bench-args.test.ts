// bench:l2fwd's command line: bad values are one sentence and exit 2 before anything runs (no
// hang, no stack trace), and --help describes where the report goes.
import { expect, test } from "bun:test";
import { runBun } from "./support/spawn.ts";

const BENCH = "bench/l2fwd-perf.ts";

test("bad values are one line naming the flag, exit 2", async () => {
  const cases: [string[], string][] = [
    [["--seconds", "abc"], '--seconds must be a number more than 0 and at most 3600, not "abc"'],
    [["--seconds", "0"], "--seconds must be a number more than 0"],
    [["--seconds", "-1"], '--seconds was given a value starting with "-"'],
    [["--seconds=-1"], '--seconds must be a number more than 0 and at most 3600, not "-1"'],
    [["--repeat", "2.5"], "--repeat must be a whole number"],
    [
      ["--batches", "1,x"],
      "--batches must be a comma-separated list of whole numbers from 1 to 512",
    ],
    [["--queues", "17"], "--queues must be a comma-separated list of whole numbers from 1 to 16"],
    [["--backend", "fpga"], '--backend must be one of "sim", "memory"'],
    [["--frobnicate"], "unknown option --frobnicate"],
  ];
  for (const [args, text] of cases) {
    const r = await runBun([BENCH, ...args]);
    expect({ args, code: r.code }).toEqual({ args, code: 2 });
    expect(r.err).toContain(`bench:l2fwd: ${text}`);
    expect(r.err.trim().split("\n")).toHaveLength(1);
    expect(r.out).toBe("");
  }
}, 60_000);

test("--help says the report goes to a new temporary directory unless --out is given", async () => {
  const r = await runBun([BENCH, "--help"]);
  expect(r.code).toBe(0);
  expect(r.out).toContain("usage: bun run bench:l2fwd");
  expect(r.out).toContain("--out DIR");
  expect(r.out).toContain("temporary directory");
});
