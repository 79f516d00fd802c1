import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DmaGuard, DmaGuardError, deviceDir, hugeMappings } from "../src/index.ts";
import { fdOpenBy, firstLine, freeHugePages, isRoot, need, readLog, until } from "./support.ts";

const OWNER = join(import.meta.dir, "fixtures/owner.ts");
let dir = "";

/** A sysfs-style device directory with bus mastering and memory space on. */
function makeDevice(): string {
  const config = new Uint8Array(256);
  new DataView(config.buffer).setUint16(4, 0x0006, true);
  writeFileSync(`${dir}/config`, config);
  writeFileSync(`${dir}/resource0`, new Uint8Array(0x80000));
  return dir;
}
const command = (): number => new DataView(readFileSync(`${dir}/config`).buffer).getUint16(4, true);

beforeEach(() => {
  dir = mkdtempSync(`${tmpdir()}/dma-guard-${process.pid}-`);
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

function spawnOwner(stop: string) {
  return Bun.spawn([process.execPath, OWNER, makeDevice(), stop, `${dir}/guard.log`], {
    stdin: "pipe",
    stdout: "pipe",
    stderr: "inherit",
  });
}

describe("the guardian", () => {
  test("owner SIGKILLed: bus mastering cleared first, then the memory let go", async () => {
    if (!need("root and a free 2 MiB hugepage", isRoot() && freeHugePages() >= 1)) return;
    const owner = spawnOwner("none");
    const info = JSON.parse(await firstLine(owner.stdout)) as { guardian: number; held: number };
    expect(info.held).toBe(2 * 1024 * 1024);
    // The guardian holds the owner's memfd through its own fd.
    expect(fdOpenBy(info.guardian, "/memfd:guarded")).toBe(true);
    expect(command() & 0x4).toBe(0x4);
    owner.kill("SIGKILL");
    await owner.exited;
    const log = await until(
      () => {
        const l = readLog(`${dir}/guard.log`);
        return l.some((e) => e.event === "memory-released") ? l : undefined;
      },
      20_000,
      "the guardian to release the memory",
    );
    const order = log.map((e) => e.event);
    expect(order).toEqual([
      "started",
      "held",
      "owner-gone",
      "bus-master-cleared",
      "device-stopped",
      "memory-released",
    ]);
    expect(command() & 0x4).toBe(0); // BME clear
    expect(command() & 0x2).toBe(0x2); // the rest of Command untouched
    await until(() => !fdOpenBy(info.guardian, "/memfd:guarded"), 10_000, "the guardian to exit");
  });

  test("release: the owner stopped the device itself; the guardian leaves it alone", async () => {
    if (!need("root and a free 2 MiB hugepage", isRoot() && freeHugePages() >= 1)) return;
    const owner = spawnOwner("none");
    await firstLine(owner.stdout);
    owner.stdin.write("release\n");
    owner.stdin.end();
    expect(await owner.exited).toBe(0);
    const order = readLog(`${dir}/guard.log`).map((e) => e.event);
    expect(order).toEqual(["started", "held", "released-by-owner"]);
    expect(command() & 0x4).toBe(0x4);
  });

  test("errors: a device that is not there, memory with no fd, a bad spec", async () => {
    const missing = await DmaGuard.start({ device: `${dir}/nothing` }).catch((e) => e);
    expect(missing).toBeInstanceOf(DmaGuardError);
    expect(missing.code).toBe("NO_DEVICE");
    expect(missing.message).toContain(`${dir}/nothing/config`);
    expect(() => deviceDir("vfio-user:/run/x.sock")).toThrow(/vfio devices need no guardian/);
    expect(deviceDir("0000:03:00.0")).toBe("/sys/bus/pci/devices/0000:03:00.0");
    const guard = await DmaGuard.start({ device: `sysfs:${makeDevice()}` });
    try {
      expect(() => guard.hold({ fd: -1 })).toThrow(/anonymous memory cannot be held/);
    } finally {
      await guard.release();
    }
    expect(command() & 0x4).toBe(0x4);
  });

  test("hugeMappings lists shared hugepage mappings only", () => {
    const smaps = [
      "7f0000000000-7f0000400000 rw-s 00000000 00:01 5 /memfd:a (deleted)",
      "KernelPageSize:     2048 kB",
      "7f0000400000-7f0000600000 rw-p 00000000 00:01 6 /memfd:b (deleted)",
      "KernelPageSize:     2048 kB",
      "7f0000600000-7f0000601000 rw-s 00000000 00:01 7 /dev/shm/x",
      "KernelPageSize:        4 kB",
    ].join("\n");
    expect(hugeMappings(smaps)).toEqual([
      { range: "7f0000000000-7f0000400000", bytes: 4 * 1024 * 1024 },
    ]);
  });
});
