/*
 * startSim and stop(): the ready handshake, specs that open, clean shutdown (no process,
 * socket, directory or hugepage left), start failures that say why, and exit with the parent.
 */
import { expect, test } from "bun:test";
import { existsSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { connectVfioUser } from "@dataplane/vfio";
import { IxgbeSimError } from "../src/errors.ts";
import { startSim } from "../src/runtime/start.ts";

const PARENT = new URL("./process-parent-fixture.ts", import.meta.url).pathname;

/** True while `pid` runs; a zombie (exited, not yet reaped by its new parent) counts as gone. */
function alive(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, "utf8"));
  } catch {
    return false;
  }
}

/**
 * Hugetlb memory (kB) a process maps: this test's own process tree is measured, not the
 * machine-wide pool, which other processes change at any time.
 */
function hugetlbKb(pid: "self"): number {
  const text = readFileSync(`/proc/${pid}/smaps_rollup`, "utf8");
  let kb = 0;
  for (const m of text.matchAll(/^(?:Shared|Private)_Hugetlb:\s+(\d+) kB/gm)) kb += Number(m[1]);
  return kb;
}

test("startSim serves openable specs; stop() leaves no process, socket, directory or hugepage", async () => {
  const mine = hugetlbKb("self");
  const sysfs = `/dev/shm/ixgbe-sim-start-${process.pid}`;
  const sim = await startSim({ ports: 2, wires: ["gen:rate=1k", "sink"], sysfs });
  const dir = sim.socketDir;
  try {
    expect(sim.specs).toEqual([`vfio-user:${dir}/p0.sock`, `vfio-user:${dir}/p1.sock`]);
    expect(sim.sysfs).toEqual([`sysfs:${sysfs}/0000:5e:00.0`, `sysfs:${sysfs}/0000:5e:00.1`]);
    expect(readdirSync(dir).sort()).toEqual(["control.sock", "p0.sock", "p1.sock"]);
    using dev = connectVfioUser(`${dir}/p1.sock`);
    expect([dev.readConfig(0, 2), dev.readConfig(2, 2)]).toEqual([0x8086, 0x10fb]);
    const stats = (await sim.stats()) as { ports: { wire: { spec: string } }[] };
    expect(stats.ports.map((p) => p.wire.spec)).toEqual(["gen:rate=1k", "sink"]);
  } finally {
    await sim.stop();
  }
  expect(alive(sim.pid)).toBe(false); // the simulator's own hugepages went with it
  expect(existsSync(dir)).toBe(false);
  expect(existsSync(sysfs)).toBe(false);
  expect(hugetlbKb("self")).toBe(mine); // and the client side kept none
  await sim.stop(); // idempotent
}, 60_000);

test("invalid options are refused before anything starts", async () => {
  const bad = startSim({ ports: 3, wires: ["gen", "sink"] });
  await expect(bad).rejects.toMatchObject({ code: "BAD_USAGE" });
  await expect(startSim({ ports: 1, wires: ["gen:rate=fast"] })).rejects.toThrow(/rate/);
});

test("a simulator that cannot start reports its stderr", async () => {
  const file = `/tmp/ixgbe-sim-not-a-dir-${process.pid}`;
  await Bun.write(file, "x");
  try {
    const err = await startSim({ ports: 1, wires: ["null"], socketDir: file }).catch((e) => e);
    expect(err).toBeInstanceOf(IxgbeSimError);
    expect(err.code).toBe("START_FAILED");
    expect(err.message).toMatch(/exited with code 1[\s\S]*cannot start/);
  } finally {
    rmSync(file, { force: true });
  }
});

test("--exit-with-parent: the simulator stops and cleans up when its parent is killed", async () => {
  const parent = Bun.spawn([process.execPath, PARENT], { stdout: "pipe", stderr: "ignore" });
  const line = await parent.stdout.getReader().read();
  const { pid, socketDir } = JSON.parse(new TextDecoder().decode(line.value)) as {
    pid: number;
    socketDir: string;
  };
  try {
    expect(alive(pid)).toBe(true);
    parent.kill("SIGKILL");
    await parent.exited;
    const deadline = Date.now() + 20_000;
    while (alive(pid) && Date.now() < deadline) await Bun.sleep(20);
    expect(alive(pid)).toBe(false);
    // Sockets and the directory startSim made (--own-socket-dir) removed by the simulator itself.
    expect(existsSync(socketDir)).toBe(false);
  } finally {
    if (alive(pid)) process.kill(pid, "SIGKILL");
    rmSync(socketDir, { recursive: true, force: true });
  }
}, 60_000);

test("README example", async () => {
  await using sim = await startSim({ ports: 2, wires: ["gen:rate=1k", "sink"] });
  using dev = connectVfioUser((sim.specs[1] as string).slice("vfio-user:".length));
  expect(dev.readConfig(2, 2)).toBe(0x10fb);
  await sim.control(0, "link-down");
  const stats = (await sim.stats()) as {
    ports: { model: unknown; registers: unknown; wire: unknown; transport: unknown }[];
  };
  expect(stats.ports).toHaveLength(2);
  expect(Object.keys(stats.ports[0] ?? {})).toEqual([
    "port",
    "model",
    "beforePowerCycles",
    "registers",
    "wire",
    "transport",
  ]);
}, 60_000);
