/*
 * openKernelDevice on machines without usable VFIO: the NO_VFIO / NO_IOMMU_GROUP errors
 * must say what to load and bind, and a failed open must leave no descriptor behind.
 */
import { afterEach, beforeEach, expect, test } from "bun:test";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { VfioError } from "../src/errors.ts";
import { openKernelDevice } from "../src/kernel/open.ts";

let base = "";
let sysfsRoot = "";
let vfioDir = "";

/** A sysfs-style 8086:10fb device, optionally in IOMMU group 7. */
function addDevice(address: string, group: number | null): void {
  const dir = `${sysfsRoot}/${address}`;
  mkdirSync(dir, { recursive: true });
  const config = new DataView(new ArrayBuffer(256));
  config.setUint16(0, 0x8086, true);
  config.setUint16(2, 0x10fb, true);
  config.setUint32(8, 0x02000001, true);
  writeFileSync(`${dir}/config`, new Uint8Array(config.buffer));
  if (group !== null) {
    mkdirSync(`${base}/iommu_groups/${group}`, { recursive: true });
    symlinkSync(`../../iommu_groups/${group}`, `${dir}/iommu_group`);
  }
}

function failure(fn: () => unknown): VfioError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(VfioError);
    return e as VfioError;
  }
  throw new Error("expected a VfioError");
}

const openFds = (): number => readdirSync("/proc/self/fd").length;

beforeEach(() => {
  base = mkdtempSync(`${tmpdir()}/dataplane-vfio-kernel-`);
  sysfsRoot = `${base}/devices`;
  vfioDir = `${base}/dev-vfio`;
  addDevice("0000:03:00.0", 7);
  addDevice("0000:03:00.1", null);
});

afterEach(() => {
  rmSync(base, { recursive: true, force: true });
});

test("without /dev/vfio: NO_VFIO saying what to load, bind and enable, and the other specs", () => {
  const e = failure(() => openKernelDevice("0000:03:00.0", { sysfsRoot, vfioDir }));
  expect(e.code).toBe("NO_VFIO");
  for (const part of [
    `${vfioDir}/vfio does not exist`,
    "modprobe vfio-pci",
    'echo "8086 10fb" > /sys/bus/pci/drivers/vfio-pci/new_id',
    "echo vfio-pci > /sys/bus/pci/devices/0000:03:00.0/driver_override",
    "intel_iommu=on",
    "amd_iommu=on",
    "sysfs:<device dir>",
    "vfio-user:<socket>",
  ]) {
    expect(e.message).toContain(part);
  }
});

test("this machine's real /dev/vfio, when absent, gives NO_VFIO for a real device", () => {
  if (existsSync("/dev/vfio/vfio")) {
    console.warn(
      "skipped: /dev/vfio/vfio exists here; the NO_VFIO path is covered with a temp dir",
    );
    return;
  }
  const e = failure(() => openKernelDevice("00:03.0"));
  expect(e.code).toBe("NO_VFIO");
  expect(e.message).toContain("/dev/vfio/vfio does not exist");
});

test("a device without an IOMMU group: NO_IOMMU_GROUP", () => {
  mkdirSync(vfioDir);
  writeFileSync(`${vfioDir}/vfio`, "");
  const e = failure(() => openKernelDevice("0000:03:00.1", { sysfsRoot, vfioDir }));
  expect(e.code).toBe("NO_IOMMU_GROUP");
  expect(e.message).toContain("intel_iommu=on");
});

test("group node missing: NO_VFIO, the device is not bound to vfio-pci", () => {
  mkdirSync(vfioDir);
  writeFileSync(`${vfioDir}/vfio`, "");
  const e = failure(() => openKernelDevice("0000:03:00.0", { sysfsRoot, vfioDir }));
  expect(e.code).toBe("NO_VFIO");
  expect(e.message).toContain(`${vfioDir}/7 does not exist: 0000:03:00.0 is not bound to vfio-pci`);
});

test("nodes that are not VFIO devices: the ioctl error is kept as cause and no fd leaks", () => {
  mkdirSync(vfioDir);
  writeFileSync(`${vfioDir}/vfio`, "");
  writeFileSync(`${vfioDir}/7`, "");
  const before = openFds();
  const e = failure(() => openKernelDevice("0000:03:00.0", { sysfsRoot, vfioDir }));
  expect(e.code).toBe("NO_VFIO");
  expect((e.cause as { code?: string }).code).toBe("ENOTTY");
  expect(e.message).toContain("VFIO_GET_API_VERSION");
  expect(openFds()).toBe(before);
});

test("bad addresses and unknown devices", () => {
  expect(failure(() => openKernelDevice("eth0", { sysfsRoot, vfioDir })).code).toBe("BAD_ARGUMENT");
  mkdirSync(vfioDir);
  writeFileSync(`${vfioDir}/vfio`, "");
  const e = failure(() => openKernelDevice("0000:09:00.0", { sysfsRoot, vfioDir }));
  expect(e.code).toBe("BAD_ARGUMENT");
  expect(e.message).toContain("bun run pci list");
});
