import { afterAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { missingNeeds } from "./support/e2e.ts";
import { APP_DIR, runBun } from "./support/spawn.ts";

const REPO = join(APP_DIR, "../..");
const dir = mkdtempSync(join(tmpdir(), "l2fwd-cli-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test("bun apps/l2fwd --help prints the complete help from the repository root", async () => {
  const r = await runBun(["apps/l2fwd", "--help"], REPO);
  expect(r.code).toBe(0);
  for (const part of [
    "Usage:",
    "--batch",
    "--ring",
    "--queues",
    "--mode",
    "--duration",
    "--interval",
    "--json",
    "--quiet",
    "--config",
    "--sim-wire",
    "--version",
    "Examples:",
    "Exit status",
  ]) {
    expect(r.out).toContain(part);
  }
  expect(r.err).toBe("");
});

test("--version names the package version and Bun", async () => {
  const r = await runBun(["apps/l2fwd", "-V"], REPO);
  expect(r.code).toBe(0);
  expect(r.out.trim()).toBe(`l2fwd 0.1.0 (bun ${Bun.version})`);
});

test("a bad value exits 2 with a message that names the flag and the range", async () => {
  const r = await runBun(["src/main.ts", "--batch", "1000"]);
  expect(r.code).toBe(2);
  expect(r.err.trim()).toBe(
    "l2fwd: command line: batch must be an integer from 1 to 512, got 1000",
  );
  expect(r.out).toBe("");
});

test("an unknown flag exits 2 and lists the valid ones", async () => {
  const r = await runBun(["src/main.ts", "--turbo"]);
  expect(r.code).toBe(2);
  expect(r.err).toContain("unknown option --turbo; valid options: --batch --ring");
});

test("a config file with an unknown key exits 2 with the file, the key and the valid keys", async () => {
  const f = join(dir, "l2fwd.yaml");
  writeFileSync(f, "batch: 64\nqueus: 2\n");
  const r = await runBun(["src/main.ts", "--config", f]);
  expect(r.code).toBe(2);
  expect(r.err).toContain(
    `l2fwd: config file ${f}: unknown key "queus"; valid keys: devices, batch, ringSize, queues`,
  );
});

test("flags override config file values", async () => {
  const f = join(dir, "over.json");
  writeFileSync(f, JSON.stringify({ batch: 64, ringSize: 2048, mode: "mac", sim: { rate: "2M" } }));
  const r = await runBun([
    "src/main.ts",
    "--config",
    f,
    "--batch",
    "8",
    "--sim-rate",
    "500k",
    "--print-config",
  ]);
  expect(r.code).toBe(0);
  const c = JSON.parse(r.out);
  expect(c).toMatchObject({ batch: 8, ringSize: 2048, mode: "mac", duration: 10, embedded: true });
  expect(c.sim.wires).toEqual(["gen:rate=500k+sink", "gen:rate=500k+sink"]);
});

test("a full run over in-memory ports: live JSON lines, summary, exit 0", async () => {
  const r = await runBun([
    "test/fixtures/memory-cli.ts",
    "-d",
    "0.5",
    "-i",
    "0.2",
    "--json",
    "-q",
    "2",
    "-m",
    "mac",
  ]);
  expect(r.code).toBe(0);
  const lines = r.out
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l));
  expect(lines.filter((l) => l.type === "interval").length).toBeGreaterThanOrEqual(2);
  const s = lines.at(-1);
  expect(s.type).toBe("summary");
  expect(s.verdict).toEqual({ ok: true, validated: true, reasons: [] });
  expect(s.forwarded).toBe(s.traffic.received);
  expect(r.err).toContain("ports closed");
}, 60_000);

test("--quiet prints only the summary", async () => {
  const r = await runBun(["test/fixtures/memory-cli.ts", "-d", "0.3", "-i", "0.1", "--quiet"]);
  expect(r.code).toBe(0);
  expect(r.out.startsWith("Summary after")).toBe(true);
  expect(r.out).not.toContain("rx Mpps");
});

const why = missingNeeds(8);

test.skipIf(why !== null)(
  `bun src/main.ts with no devices forwards through ixgbe-sim and validates ${why ?? ""}`,
  async () => {
    const r = await runBun(["src/main.ts", "-d", "1", "--json", "--quiet"]);
    expect(r.code).toBe(0);
    const s = JSON.parse(r.out.trim());
    expect(s.type).toBe("summary");
    expect(s.verdict).toEqual({ ok: true, validated: true, reasons: [] });
    expect(s.traffic.received).toBeGreaterThan(0);
    expect(s.ports.map((p: { txPackets: number }) => p.txPackets > 0)).toEqual([true, true]);
  },
  20_000,
);

test.skipIf(why !== null)(
  `failed validation exits 1 and says why ${why ?? ""}`,
  async () => {
    // Port 1's wire swallows everything: port 0's sink never sees a frame.
    const r = await runBun(["src/main.ts", "-d", "0.5", "--sim-wire", "gen+sink,null", "--quiet"]);
    expect(r.code).toBe(1);
    expect(r.out).toContain("validation        FAILED");
    expect(r.out).toContain("the sinks received no frames");
  },
  20_000,
);
