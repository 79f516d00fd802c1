import { expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { type Mmio, openDevice, PciError } from "../src/index.ts";
import { FakeSysfs, NIC, openFds } from "./fake-sysfs.ts";

const mapped = (path: string): boolean => readFileSync("/proc/self/maps", "latin1").includes(path);

test("a write through one BAR mapping is visible through a second one and in the file", () => {
  using sysfs = new FakeSysfs();
  const dev = openDevice(`sysfs:${sysfs.add("0000:03:00.0", NIC)}`);
  const fds = openFds();
  using a = dev.mapResource(0);
  using b = dev.mapResource(0);
  expect(openFds()).toBe(fds); // the descriptor is closed once mapped
  expect(a.size).toBe(512 * 1024);
  a.write32(0x01018, 0x1ff);
  a.write32(0x7fffc, 0xffffffff);
  expect(b.read32(0x01018)).toBe(0x1ff);
  expect(b.read32(0x7fffc)).toBe(0xffffffff); // unsigned, not -1
  const file = readFileSync(`${dev.dir}/resource0`);
  expect(file.readUInt32LE(0x01018)).toBe(0x1ff);
});

test("word() gives the mapped view and index; Atomics.store through it reaches the other mapping", () => {
  using sysfs = new FakeSysfs();
  const dev = openDevice(`sysfs:${sysfs.add("0000:03:00.0", NIC)}`);
  using a = dev.mapResource(0);
  using b = dev.mapResource(0);
  const w = a.word(0x06018);
  expect(w.index).toBe(0x06018 / 4);
  Atomics.store(w.view, w.index, 42);
  a.barrier();
  expect(b.read32(0x06018)).toBe(42);
  for (const bad of [2, -4, 512 * 1024]) {
    expect(() => a.word(bad)).toThrow(PciError);
  }
});

test("close unmaps, is idempotent, and a later access throws instead of faulting", () => {
  using sysfs = new FakeSysfs();
  const dev = openDevice(`sysfs:${sysfs.add("0000:03:00.0", NIC)}`);
  const path = `${dev.dir}/resource0`;
  const m: Mmio = dev.mapResource(0);
  expect(mapped(path)).toBe(true);
  m.close();
  m.close();
  expect(mapped(path)).toBe(false);
  expect(() => m.read32(0)).toThrow(RangeError);
});

test("a missing BAR is NO_RESOURCE", () => {
  using sysfs = new FakeSysfs();
  const dev = openDevice(`sysfs:${sysfs.add("0000:03:00.0", NIC)}`);
  for (const index of [1, 6, -1]) {
    let code: string | undefined;
    try {
      dev.mapResource(index);
    } catch (e) {
      code = (e as PciError).code;
    }
    expect(code).toBe("NO_RESOURCE");
  }
});

test("README example: bus master on, BAR0 mapped, a doorbell written through word()", () => {
  using sysfs = new FakeSysfs();
  const dir = sysfs.add("0000:03:00.0", NIC);
  // --- README example (sysfs:<dir> here; a PCI address works the same under /sys) ---
  const dev = openDevice(`sysfs:${dir}`);
  dev.enableBusMaster();
  using bar0 = dev.mapResource(0);
  const rdt = bar0.word(0x01018); // RDT(0): look doorbells up once, at setup
  Atomics.store(rdt.view, rdt.index, 511);
  // --- end of example ---
  expect(dev.busMasterEnabled()).toBe(true);
  expect(readFileSync(`${dir}/resource0`).readUInt32LE(0x01018)).toBe(511);
});
