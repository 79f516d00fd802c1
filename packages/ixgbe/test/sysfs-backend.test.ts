// The sysfs back-end over a sysfs-style directory whose resource0 is a plain file: identity
// check, bus-master write, BAR mapping and hugepage allocation with physical addresses are
// real; nothing answers the registers, so init must time out and release everything.
import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { IxgbeDevice } from "../src/device.ts";

const root = process.getuid?.() === 0;
const hugeFree = (): number => {
  const m = /HugePages_Free:\s+(\d+)/.exec(readFileSync("/proc/meminfo", "utf8"));
  return m ? Number(m[1]) : 0;
};
const usable = root && hugeFree() >= 4;
if (!usable && process.env.CI === "true") {
  throw new Error("sysfs back-end test needs root and 4 free 2 MiB hugepages in CI");
}

let dir = "";
function deviceDir(vendor: number, device: number): string {
  const config = new Uint8Array(256);
  const dv = new DataView(config.buffer);
  dv.setUint16(0, vendor, true);
  dv.setUint16(2, device, true);
  dv.setUint32(8, 0x02000001, true); // class: Ethernet, revision 1
  writeFileSync(`${dir}/config`, config);
  writeFileSync(`${dir}/resource0`, new Uint8Array(0x80000));
  return dir;
}

beforeEach(() => {
  dir = mkdtempSync(`${tmpdir()}/ixgbe-sysfs-`);
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe.skipIf(!usable)("sysfs back-end (root + hugepages)", () => {
  test("a silent device times out at reset; bus master was set and nothing leaks", async () => {
    deviceDir(0x8086, 0x10fb);
    const fds = () => readdirSync("/proc/self/fd").length;
    const fdsBefore = fds();
    const err = await IxgbeDevice.open(`sysfs:${dir}`, {
      rxRingSize: 64,
      txRingSize: 64,
      timeouts: { resetMs: 20 },
    }).catch((e) => e);
    expect(err.code).toBe("INIT_TIMEOUT");
    expect(err.message).toContain("CTRL.RST");
    const command = new DataView(readFileSync(`${dir}/config`).buffer).getUint16(4, true);
    expect(command & 0x6).toBe(0x6); // memory space + bus master
    // The driver wrote the reset into BAR0 (the file keeps it: nothing self-clears).
    const bar = new DataView(readFileSync(`${dir}/resource0`).buffer);
    expect(bar.getUint32(0, true) & 0x04000008).toBe(0x04000008);
    expect(fds()).toBe(fdsBefore);
  });

  test("a non-82599 function is refused before BAR0 is touched", async () => {
    deviceDir(0x8086, 0x1533); // an i210
    const err = await IxgbeDevice.open(`sysfs:${dir}`).catch((e) => e);
    expect(err.code).toBe("UNSUPPORTED_DEVICE");
    expect(err.message).toContain("[8086:1533]");
    const bar = new DataView(readFileSync(`${dir}/resource0`).buffer);
    expect(bar.getUint32(0x888, true)).toBe(0); // EIMC never written
  });
});

test("a missing directory is a DEVICE_FAULT naming it", async () => {
  const err = await IxgbeDevice.open("sysfs:/nonexistent/ixgbe-dev").catch((e) => e);
  expect(err.code).toBe("DEVICE_FAULT");
  expect(err.message).toContain("/nonexistent/ixgbe-dev");
});
