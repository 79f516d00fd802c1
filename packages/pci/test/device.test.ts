import { describe, expect, test } from "bun:test";
import { existsSync, readFileSync } from "node:fs";
import { listDevices, openDevice, PciError, readDeviceInfo } from "../src/index.ts";
import { BRIDGE, FakeSysfs, NIC } from "./fake-sysfs.ts";

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(PciError);
    return (e as PciError).code;
  }
  return undefined;
}

describe("enumeration", () => {
  test("lists every function with ids, driver, IOMMU group, NUMA node and BARs", () => {
    using sysfs = new FakeSysfs();
    sysfs.add("0000:03:00.0", NIC);
    sysfs.add("0000:00:00.0", BRIDGE);
    const list = listDevices({ root: sysfs.root });
    expect(list.map((d) => d.address)).toEqual(["0000:00:00.0", "0000:03:00.0"]);
    const nic = list[1];
    expect(nic).toMatchObject({
      vendor: 0x8086,
      device: 0x10fb,
      classCode: 0x020000,
      revision: 1,
      subsystemVendor: 0x8086,
      subsystemDevice: 0x0003,
      driver: "ixgbe",
      iommuGroup: 7,
      numaNode: 1,
    });
    expect(nic?.resources).toEqual([
      {
        index: 0,
        start: 0,
        size: 512 * 1024,
        flags: 0,
        kind: "unknown",
        prefetchable: false,
        mappable: true,
      },
    ]);
  });

  test("without attribute files the ids come from config space bytes", () => {
    using sysfs = new FakeSysfs();
    const dir = sysfs.add("0000:00:00.0", { ...BRIDGE, revision: 0x0b, subsystemDevice: 0x1234 });
    const info = readDeviceInfo(dir);
    expect(info).toMatchObject({
      vendor: 0x8086,
      device: 0x0d57,
      classCode: 0x060000,
      revision: 0x0b,
      subsystemDevice: 0x1234,
      driver: null,
      iommuGroup: null,
      numaNode: -1,
      resources: [],
    });
  });

  test("the resource file wins over resourceN sizes, and zero lines are skipped", () => {
    using sysfs = new FakeSysfs();
    const text = [
      "0x00000000fb000000 0x00000000fb07ffff 0x0000000000140204",
      "0x0000000000000000 0x0000000000000000 0x0000000000000000",
      "0x000000000000e020 0x000000000000e03f 0x0000000000040101",
      "0x0000000000000000 0x0000000000000000 0x0000000000000000",
      "0x00000000fb100000 0x00000000fb103fff 0x000000000014220c",
      "",
    ].join("\n");
    const dir = sysfs.add("0000:03:00.0", { ...NIC, resourceText: text });
    const [bar0, bar2, bar4] = readDeviceInfo(dir).resources;
    expect(bar0).toMatchObject({
      index: 0,
      start: 0xfb000000,
      size: 0x80000,
      kind: "mem",
      mappable: true,
    });
    expect(bar2).toMatchObject({ index: 2, size: 32, kind: "io", mappable: false });
    expect(bar4).toMatchObject({ index: 4, size: 0x4000, kind: "mem", prefetchable: true });
  });

  test("the real /sys/bus/pci/devices enumerates without throwing", () => {
    if (!existsSync("/sys/bus/pci/devices")) {
      if (process.env.CI === "true") throw new Error("CI: /sys/bus/pci/devices is missing");
      console.warn("skipped: no /sys/bus/pci/devices on this machine");
      return;
    }
    const list = listDevices();
    for (const d of list) {
      expect(d.address).toMatch(/^[0-9a-f]{4,8}:[0-9a-f]{2}:[0-9a-f]{2}\.[0-7]$/);
      expect(d.vendor).toBeGreaterThan(0);
      expect(d.classCode).toBeLessThanOrEqual(0xffffff);
    }
  });

  test("a missing root is NO_DEVICE", () => {
    expect(codeOf(() => listDevices({ root: "/nonexistent/dataplane" }))).toBe("NO_DEVICE");
  });
});

describe("openDevice", () => {
  test("by address under the root, by short address, and by sysfs: path", () => {
    using sysfs = new FakeSysfs();
    const dir = sysfs.add("0000:03:00.0", NIC);
    expect(openDevice("0000:03:00.0", { root: sysfs.root }).dir).toBe(dir);
    expect(openDevice("03:00.0", { root: sysfs.root }).info.address).toBe("0000:03:00.0");
    expect(openDevice(`sysfs:${dir}`).info.device).toBe(0x10fb);
  });

  test("bad specs, missing and non-device directories are told apart", () => {
    using sysfs = new FakeSysfs();
    expect(codeOf(() => openDevice("eth0"))).toBe("BAD_SPEC");
    expect(codeOf(() => openDevice("0000:03:20.0"))).toBe("BAD_SPEC"); // device 0x20 > 0x1f
    expect(codeOf(() => openDevice("sysfs:"))).toBe("BAD_SPEC");
    expect(codeOf(() => openDevice("0000:09:00.0", { root: sysfs.root }))).toBe("NO_DEVICE");
    expect(codeOf(() => openDevice(`sysfs:${sysfs.base}`))).toBe("NOT_A_DEVICE_DIR");
  });
});

describe("config space", () => {
  test("reads 1, 2 and 4 bytes little-endian and writes them back", () => {
    using sysfs = new FakeSysfs();
    const dev = openDevice(`sysfs:${sysfs.add("0000:03:00.0", NIC)}`);
    expect(dev.readConfig(0, 4)).toBe(0x10fb8086);
    expect(dev.readConfig(2, 2)).toBe(0x10fb);
    expect(dev.readConfig(0x0b, 1)).toBe(0x02);
    dev.writeConfig(0x40, 4, 0xdeadbeef);
    dev.writeConfig(0x44, 2, 0xcafe);
    dev.writeConfig(0x47, 1, 0x7f);
    expect(dev.readConfig(0x40, 4)).toBe(0xdeadbeef);
    expect(dev.readConfig(0x40, 1)).toBe(0xef);
    const bytes = readFileSync(`${dev.dir}/config`);
    expect([...bytes.subarray(0x40, 0x48)]).toEqual([0xef, 0xbe, 0xad, 0xde, 0xfe, 0xca, 0, 0x7f]);
  });

  test("misaligned, out-of-range offsets and oversized values are refused", () => {
    using sysfs = new FakeSysfs();
    const dev = openDevice(`sysfs:${sysfs.add("0000:03:00.0", NIC)}`);
    expect(codeOf(() => dev.readConfig(2, 4))).toBe("BAD_OFFSET");
    expect(codeOf(() => dev.readConfig(256, 1))).toBe("BAD_OFFSET");
    expect(codeOf(() => dev.readConfig(-1, 1))).toBe("BAD_OFFSET");
    expect(codeOf(() => dev.readConfig(0, 3 as never))).toBe("BAD_OFFSET");
    expect(codeOf(() => dev.writeConfig(4, 2, 0x10000))).toBe("BAD_VALUE");
  });

  test("enableBusMaster sets command bits 1 and 2 and keeps the others", () => {
    using sysfs = new FakeSysfs();
    const dev = openDevice(`sysfs:${sysfs.add("0000:03:00.0", NIC)}`);
    dev.writeConfig(0x04, 2, 0x0400); // INTx disable only
    expect(dev.busMasterEnabled()).toBe(false);
    expect(dev.enableBusMaster()).toBe(0x0406);
    expect(dev.busMasterEnabled()).toBe(true);
    expect(readFileSync(`${dev.dir}/config`).readUInt16LE(4)).toBe(0x0406);
  });
});

describe("driver unbind", () => {
  test("writes the address to driver/unbind and reports the driver", () => {
    using sysfs = new FakeSysfs();
    sysfs.add("0000:03:00.0", NIC);
    const dev = openDevice("0000:03:00.0", { root: sysfs.root });
    expect(dev.unbindDriver()).toBe("ixgbe");
    expect(readFileSync(`${sysfs.base}/drivers/ixgbe/unbind`, "latin1")).toBe("0000:03:00.0");
  });

  test("no driver bound is not an error", () => {
    using sysfs = new FakeSysfs();
    const dev = openDevice(`sysfs:${sysfs.add("0000:00:00.0", BRIDGE)}`);
    expect(dev.unbindDriver()).toBeNull();
  });
});
