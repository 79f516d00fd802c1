/*
 * --process-per-port: each port served by its own process (own device loop), behind one ready
 * line and one control socket; the ports keep their identities; a port process that dies takes
 * the simulator down and leaves nothing behind; combinations that cannot work are refused.
 */
import { expect, test } from "bun:test";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import * as R from "@dataplane/ixgbe/regs";
import { connectVfioUser, REGION_BAR0 } from "@dataplane/vfio";
import { startSim } from "../src/runtime/start.ts";

/** True while `pid` runs; a zombie counts as gone. */
function alive(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, "utf8"));
  } catch {
    return false;
  }
}

/** The children of `pid` and the --port-base each was given. */
function portProcesses(pid: number): { pid: number; port: number }[] {
  const kids = readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8").trim().split(/\s+/);
  return kids
    .filter((k) => k !== "")
    .map((k) => {
      const argv = readFileSync(`/proc/${k}/cmdline`, "utf8").split("\0");
      return { pid: Number(k), port: Number(argv[argv.indexOf("--port-base") + 1]) };
    })
    .sort((a, b) => a.port - b.port);
}

type PortStats = { port: number; model: { lanId: number }; wire: { spec: string } };

test("one process per port: same specs and identities, control routed, nothing left after stop", async () => {
  const sysfs = `/dev/shm/ixgbe-sim-ppp-${process.pid}`;
  const sim = await startSim({
    ports: 2,
    wires: ["gen:rate=1k", "sink"],
    sysfs,
    processPerPort: true,
  });
  const dir = sim.socketDir;
  const kids = portProcesses(sim.pid);
  try {
    expect(kids.map((k) => k.port)).toEqual([0, 1]);
    expect(new Set([sim.pid, ...kids.map((k) => k.pid)]).size).toBe(3);
    expect(sim.specs).toEqual([`vfio-user:${dir}/p0.sock`, `vfio-user:${dir}/p1.sock`]);
    expect(sim.sysfs).toEqual([`sysfs:${sysfs}/0000:5e:00.0`, `sysfs:${sysfs}/0000:5e:00.1`]);
    // Port 1 is function 1 of the card, served by the second process.
    using dev = connectVfioUser(`${dir}/p1.sock`);
    const lanId = (dev.regionRead32(REGION_BAR0, R.STATUS) >>> R.STATUS_LAN_ID_SHIFT) & 3;
    expect(lanId).toBe(1);
    const all = (await sim.stats()) as { ports: PortStats[] };
    expect(all.ports.map((p) => [p.port, p.model.lanId, p.wire.spec])).toEqual([
      [0, 0, "gen:rate=1k"],
      [1, 1, "sink"],
    ]);
    const one = (await sim.control(1, "stats")) as PortStats;
    expect([one.port, one.wire.spec]).toEqual([1, "sink"]);
    await expect(sim.control(2, "stats")).rejects.toThrow(/port 2 does not exist; ports are 0..1/);
    await expect(sim.control(null, "link-down")).rejects.toThrow(/needs a port/);
    expect(await sim.control(0, "link-down")).toEqual({ up: false });
  } finally {
    await sim.stop();
  }
  for (const k of kids) expect(alive(k.pid)).toBe(false);
  expect(alive(sim.pid)).toBe(false);
  expect(existsSync(dir)).toBe(false);
  expect(existsSync(sysfs)).toBe(false);
}, 60_000);

test("a port process that dies takes the simulator down and leaves no socket or directory", async () => {
  const sysfs = `/dev/shm/ixgbe-sim-ppp-kill-${process.pid}`;
  const sim = await startSim({ ports: 2, wires: ["null"], sysfs, processPerPort: true });
  const kids = portProcesses(sim.pid);
  process.kill((kids[1] as { pid: number }).pid, "SIGKILL");
  // The front notices on its own: it exits without being told to stop.
  const deadline = Date.now() + 30_000;
  while (alive(sim.pid) && Date.now() < deadline) await Bun.sleep(20);
  expect(alive(sim.pid)).toBe(false);
  expect(alive((kids[0] as { pid: number }).pid)).toBe(false);
  await expect(sim.stop()).rejects.toThrow(/stopped with code 1; left behind: nothing/);
  expect(sim.stderr()).toMatch(/port 1's process exited with code \d+/);
  expect(existsSync(sim.socketDir)).toBe(false);
  expect(existsSync(sysfs)).toBe(false);
}, 60_000);

test("cable wires and a manual clock are refused with --process-per-port", async () => {
  await expect(
    startSim({ ports: 2, wires: ["cable:1", "cable:0"], processPerPort: true }),
  ).rejects.toThrow(/cannot serve cable wires/);
  await expect(
    startSim({ ports: 2, wires: ["null"], processPerPort: true, manualClock: true }),
  ).rejects.toThrow(/processPerPort: does not go with --manual-clock/);
  await expect(startSim({ ports: 2, wires: ["null"], portBase: 7 })).rejects.toThrow(
    /go past port 7/,
  );
});

test("every port process's stderr reaches the caller", async () => {
  const sim = await startSim({ ports: 2, wires: ["null"], processPerPort: true });
  const kids = portProcesses(sim.pid);
  await sim.stop();
  for (const k of kids) expect(sim.stderr()).toContain(`ixgbe-sim[${k.pid}]: serving 1 port(s)`);
  expect(readdirSync("/proc").includes(String(kids[0]?.pid))).toBe(false);
}, 60_000);
