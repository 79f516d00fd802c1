/*
 * The command line: --help, usage errors (exit 2 with the reason), the ready line, ctl against
 * a running simulator, and the pure parts (wire list splitting, ctl argument mapping).
 */
import { expect, test } from "bun:test";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { ctlRequest } from "../src/control/ctl.ts";
import { splitWireList } from "../src/runtime/options.ts";

const CLI = new URL("../src/cli.ts", import.meta.url).pathname;

function run(args: string[]): { code: number; out: string; err: string } {
  const r = Bun.spawnSync([process.execPath, CLI, ...args], { stdout: "pipe", stderr: "pipe" });
  return { code: r.exitCode ?? -1, out: r.stdout.toString(), err: r.stderr.toString() };
}

test("--help prints usage and exits 0", () => {
  const r = run(["--help"]);
  expect(r.code).toBe(0);
  expect(r.out).toContain("usage: ixgbe-sim --ports N --wire SPEC");
  expect(r.out).toContain("gen[:rate=R");
});

test("usage errors exit 2 and say what is wrong", () => {
  const bad = run(["--ports", "1", "--wire", "gen:speed=1"]);
  expect(bad.code).toBe(2);
  expect(bad.err).toContain('bad wire spec "gen:speed=1"');
  expect(bad.err).toContain("valid forms:");
  expect(run(["--wire", "gen"]).err).toContain("--ports is required");
  expect(run(["--ports", "9", "--wire", "gen"]).code).toBe(2);
  expect(run(["--ports", "1", "--wire", "gen", "--bogus"]).code).toBe(2);
  const both = run(["--ports", "1", "--wire", "gen", "--lenient", "--strict-fatal"]);
  expect(both.code).toBe(2);
  expect(both.err).toContain("--lenient and --strict-fatal contradict each other");
  expect(run(["--ports", "1", "--wire", "gen", "--reset-ms", "-3"]).code).toBe(2);
  const counts = run(["--ports", "3", "--wire", "gen,sink"]);
  expect(counts.code).toBe(2);
  expect(counts.err).toContain("2 wire specs for 3 ports");
  const dir = mkdtempSync("/tmp/ixgbe-sim-cli-");
  try {
    const cable = run(["--ports", "2", "--wire", "cable:p1;null", "--socket-dir", `${dir}/s`]);
    expect(cable.code).toBe(2);
    expect(cable.err).toContain("cable");
    expect(existsSync(`${dir}/s`)).toBe(false); // nothing left from the failed start
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("--pin of a CPU this process may not use is a usage error before anything starts", () => {
  const dir = mkdtempSync("/tmp/ixgbe-sim-cli-");
  try {
    const r = run(["--ports", "1", "--wire", "null", "--pin", "4095", "--socket-dir", `${dir}/s`]);
    expect(r.code).toBe(2);
    expect(r.out).toBe(""); // no ready line
    expect(r.err.trim().split("\n")).toHaveLength(1);
    expect(r.err).toContain("--pin 4095 is not a CPU this process may run on; use one of ");
    expect(r.err).not.toContain("    at ");
    expect(existsSync(`${dir}/s`)).toBe(false);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("ready line, ctl commands, SIGTERM cleanup", async () => {
  const dir = mkdtempSync("/tmp/ixgbe-sim-cli-");
  const sysfs = `/dev/shm/ixgbe-sim-cli-${process.pid}`;
  const proc = Bun.spawn(
    [
      process.execPath,
      CLI,
      "--ports",
      "2",
      "--wire",
      "gen:rate=1k,size=64,sink",
      "--socket-dir",
      dir,
      "--sysfs",
      sysfs,
    ],
    { stdout: "pipe", stderr: "pipe" },
  );
  try {
    const first = await proc.stdout.getReader().read();
    const ready = JSON.parse(new TextDecoder().decode(first.value).split("\n")[0] as string);
    expect(ready).toEqual({
      ready: true,
      pid: proc.pid,
      ports: [
        { port: 0, spec: `vfio-user:${dir}/p0.sock`, sysfs: `sysfs:${sysfs}/0000:5e:00.0` },
        { port: 1, spec: `vfio-user:${dir}/p1.sock`, sysfs: `sysfs:${sysfs}/0000:5e:00.1` },
      ],
      control: `${dir}/control.sock`,
    });
    const down = run(["ctl", "0", "link-down", "--json", "--socket-dir", dir]);
    expect(down.code).toBe(0);
    expect(JSON.parse(down.out)).toEqual({ up: false });
    const wires = JSON.parse(run(["ctl", "wires", "--json", "--socket-dir", dir]).out);
    expect(wires.ports.map((p: { spec: string }) => p.spec)).toEqual([
      "gen:rate=1k,size=64",
      "sink",
    ]);
    // No client, so nothing was forwarded: the sink's verdict says so.
    expect(wires.ports[1].stats).toMatchObject({
      verdict: "fail",
      problems: ["no generator frames received"],
    });
    const help = run(["ctl", "help", "--socket-dir", dir]);
    expect(help.out).toContain("link-flap");
    const noPort = run(["ctl", "7", "stats", "--socket-dir", dir]);
    expect(noPort.code).toBe(1);
    expect(noPort.err).toContain("port 7 does not exist");
    expect(run(["ctl", "--socket-dir", dir]).code).toBe(2);
    expect(run(["ctl", "0", "link-down", "--socket-dir", `${dir}/nowhere`]).code).toBe(1);
    proc.kill("SIGTERM");
    expect(await proc.exited).toBe(0);
    expect(
      existsSync(`${dir}/control.sock`) || existsSync(`${dir}/p0.sock`) || existsSync(sysfs),
    ).toBe(false);
  } finally {
    proc.kill("SIGKILL"); // no-op once it exited; stops it when an expectation failed first
    rmSync(dir, { recursive: true, force: true });
    rmSync(sysfs, { recursive: true, force: true });
  }
}, 60_000);

test("wire lists split between specs, never inside one", () => {
  expect(splitWireList("gen,sink")).toEqual(["gen", "sink"]);
  expect(splitWireList("gen:rate=1M,size=64,sink")).toEqual(["gen:rate=1M,size=64", "sink"]);
  expect(splitWireList("gen:rate=1M,size=64;sink:latency=0")).toEqual([
    "gen:rate=1M,size=64",
    "sink:latency=0",
  ]);
  expect(splitWireList("cable:p1,slots=64,cable:p0")).toEqual(["cable:p1,slots=64", "cable:p0"]);
  expect(splitWireList("pcap-in:a.pcap,loop,gen+sink")).toEqual([
    "pcap-in:a.pcap,loop",
    "gen+sink",
  ]);
  expect(splitWireList("queue")).toEqual(["queue"]);
});

test("ctl arguments map onto named ones", () => {
  expect(ctlRequest(["0", "link-flap", "250"])).toEqual({
    cmd: "link-flap",
    port: 0,
    args: { ms: 250 },
  });
  expect(ctlRequest(["1", "dma-fault", "3", "rx-ring", "tx-ring"])).toEqual({
    cmd: "dma-fault",
    port: 1,
    args: { count: 3, targets: ["rx-ring", "tx-ring"] },
  });
  expect(ctlRequest(["0", "malformed", "oversize", "tx", "queue=2"])).toEqual({
    cmd: "malformed",
    port: 0,
    args: { kind: "oversize", direction: "tx", queue: 2 },
  });
  expect(ctlRequest(["stats"])).toEqual({ cmd: "stats", args: {} });
  expect(ctlRequest(["0", "reset", "now"])).toContain("no positional argument");
  expect(ctlRequest([])).toContain("give a command");
});

test("--version prints the package version; bad flags and values are one sentence naming the flag", () => {
  const { version } = require("../package.json") as { version: string };
  const v = run(["--version"]);
  expect(v.code).toBe(0);
  expect(v.out).toBe(`ixgbe-sim ${version} (bun ${Bun.version})\n`);
  const cases: [string[], string][] = [
    [["--frobnicate"], "ixgbe-sim: unknown option --frobnicate; valid options: --ports, "],
    [["--ports"], "ixgbe-sim: --ports needs a value; see ixgbe-sim --help\n"],
    [
      ["--ports", "99", "--wire", "sink"],
      "ixgbe-sim: --ports must be at most 8; see ixgbe-sim --help\n",
    ],
    [
      ["--ports", "x", "--wire", "sink"],
      "ixgbe-sim: --ports must be a number; see ixgbe-sim --help\n",
    ],
    [["--ports", "1", "--wire", "sink", "--queues", "0"], "ixgbe-sim: --queues must be at least 1"],
    [
      ["--ports", "2", "--wire", "sink", "--process-per-port", "--manual-clock"],
      "ixgbe-sim: --process-per-port: does not go with --manual-clock",
    ],
    [
      ["--ports", "2", "--wire", "cable:1;cable:0", "--process-per-port"],
      "ixgbe-sim: --process-per-port: cannot serve cable wires",
    ],
    [
      ["--ports", "2", "--port-base", "7", "--wire", "sink"],
      "ixgbe-sim: --port-base: ports 7..8 go past port 7",
    ],
  ];
  for (const [args, start] of cases) {
    const r = run(args);
    expect(r.code).toBe(2);
    expect(r.err.startsWith(start)).toBe(true);
    expect(r.err.trimEnd().split("\n")).toHaveLength(1);
  }
});
