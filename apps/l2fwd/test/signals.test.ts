import { afterEach, expect, test } from "bun:test";
import { Running } from "./support/spawn.ts";

const running: Running[] = [];
afterEach(() => {
  for (const r of running.splice(0)) r.kill();
});
const start = (args: string[], env?: Record<string, string>): Running => {
  const r = new Running(args, env);
  running.push(r);
  return r;
};

test("first SIGINT stops forwarding, prints the summary, closes ports and returns reserved hugepages", async () => {
  // 4 pages in the fake pool, 2 in use: the run must reserve 6 more and give them back.
  const r = start(["test/fixtures/memory-cli.ts", "-d", "0", "-i", "0.1"], {
    FAKE_TOTAL: "4",
    FAKE_IN_USE: "2",
  });
  await r.waitFor(/\d s\s+0\s/); // the first statistics row
  r.proc.kill("SIGINT");
  expect(await r.exit()).toBe(0);
  expect(r.err).toContain("reserved 6 more 2 MiB hugepages for this run (nr_hugepages 4 -> 10)");
  expect(r.err).toContain("SIGINT: stopping");
  expect(r.out).toContain("Summary after");
  expect(r.out).toMatch(/validation\s+PASSED/);
  expect(r.err).toContain("ports closed");
  expect(r.err).toContain("hugepages total 4"); // back where it was
}, 60_000);

test("SIGTERM is handled the same way", async () => {
  const r = start(["test/fixtures/memory-cli.ts", "-d", "0", "-i", "0.1", "--json"]);
  await r.waitFor('"type":"interval"');
  r.proc.kill("SIGTERM");
  expect(await r.exit()).toBe(0);
  const lines = r.out
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l));
  expect(lines.at(-1).type).toBe("summary");
  expect(lines.at(-1).forwarded).toBeGreaterThan(0);
  expect(r.err).toContain("ports closed");
}, 60_000);

test("a second signal exits at once with status 130 after the essential cleanup only", async () => {
  const r = start(["test/fixtures/signal-stuck.ts"]);
  await r.waitFor("ready");
  r.proc.kill("SIGINT");
  await r.waitFor("stop requested by SIGINT, flag 1");
  r.proc.kill("SIGINT");
  expect(await r.exit()).toBe(130);
  expect(r.out).toContain("forced by SIGINT");
  expect(r.out).toContain("cleanup: model process");
  expect(r.out).not.toContain("cleanup: report file");
}, 60_000);
