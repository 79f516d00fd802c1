import { expect, test } from "bun:test";
import { mkdirSync, writeFileSync } from "node:fs";
import { BRIDGE, FakeSysfs, NIC } from "./fake-sysfs.ts";

const CLI = `${import.meta.dir}/../src/cli.ts`;

function run(...args: string[]): { code: number; out: string; err: string } {
  const p = Bun.spawnSync([process.execPath, CLI, ...args], { stdout: "pipe", stderr: "pipe" });
  return { code: p.exitCode ?? -1, out: p.stdout.toString(), err: p.stderr.toString() };
}

function tree(sysfs: FakeSysfs): string {
  sysfs.add("0000:03:00.0", NIC); // IOMMU group 7, bound to ixgbe
  sysfs.add("0000:03:00.1", { ...NIC, driver: undefined, iommuGroup: undefined, numaNode: 0 });
  sysfs.add("0000:00:00.0", BRIDGE);
  const vfioDir = `${sysfs.base}/dev-vfio`;
  mkdirSync(vfioDir);
  writeFileSync(`${vfioDir}/7`, "");
  return vfioDir;
}

test("text: one row per NIC, bridges left out, and why each path is or is not open", () => {
  using sysfs = new FakeSysfs();
  const vfioDir = tree(sysfs);
  const { code, out } = run("list", "--root", sysfs.root, "--vfio-dir", vfioDir);
  expect(code).toBe(0);
  const lines = out.split("\n");
  expect(lines[0]).toBe(`Network devices under ${sysfs.root}:`);
  expect(lines[1]).toMatch(
    /^ADDRESS\s+VENDOR:DEVICE\s+CLASS\s+DRIVER\s+IOMMU\s+NUMA\s+BAR0\s+ACCESS$/,
  );
  expect(lines[2]).toMatch(
    /^0000:03:00\.0\s+8086:10fb\s+020000\s+ixgbe\s+7\s+1\s+512 KiB\s+vfio,kernel:ixgbe$/,
  );
  // root is needed for the sysfs path; the test runner may or may not be root.
  const sysfsWay = process.geteuid?.() === 0 ? "sysfs" : "none";
  expect(lines[3]).toMatch(
    new RegExp(`^0000:03:00\\.1\\s+8086:10fb\\s+020000\\s+-\\s+-\\s+0\\s+512 KiB\\s+${sysfsWay}$`),
  );
  expect(out).not.toContain("0000:00:00.0");
  expect(out).toContain(`vfio:  yes, ${vfioDir}/7 present`);
  expect(out).toContain("no IOMMU group: boot with intel_iommu=on");
});

test("without the group node, the VFIO line says what to load and bind", () => {
  using sysfs = new FakeSysfs();
  tree(sysfs);
  const { out } = run("list", "--root", sysfs.root, "--vfio-dir", `${sysfs.base}/none`);
  expect(out).toContain(
    'modprobe vfio-pci, then echo "8086 10fb" > /sys/bus/pci/drivers/vfio-pci/new_id',
  );
});

test("json: every function with --all, access paths included", () => {
  using sysfs = new FakeSysfs();
  const vfioDir = tree(sysfs);
  const { code, out } = run("list", "--json", "--all", "--root", sysfs.root, "--vfio-dir", vfioDir);
  expect(code).toBe(0);
  const list = JSON.parse(out) as Array<Record<string, unknown>>;
  expect(list.map((d) => d.address)).toEqual(["0000:00:00.0", "0000:03:00.0", "0000:03:00.1"]);
  expect(list[1]).toMatchObject({
    vendor: 0x8086,
    device: 0x10fb,
    classCode: 0x020000,
    driver: "ixgbe",
    iommuGroup: 7,
    resources: [{ index: 0, size: 524288, mappable: true }],
    access: { vfio: { usable: true }, sysfs: { usable: false }, kernelDriver: "ixgbe" },
  });
});

test("an empty tree says so in both formats", () => {
  using sysfs = new FakeSysfs();
  sysfs.add("0000:00:00.0", BRIDGE);
  const text = run("list", "--root", sysfs.root);
  expect(text.code).toBe(0);
  expect(text.out).toBe(`no network devices found under ${sysfs.root}\n`);
  const json = run("list", "--json", "--root", sysfs.root);
  expect(JSON.parse(json.out)).toEqual([]);
  expect(json.err).toContain("no network devices found under");
});

test("usage errors exit 2, --help exits 0, an unreadable root exits 1", () => {
  expect(run("list", "--bogus").code).toBe(2);
  expect(run("frobnicate").code).toBe(2);
  expect(run().code).toBe(2);
  expect(run("list", "--root").code).toBe(2);
  const help = run("--help");
  expect(help.code).toBe(0);
  expect(help.out).toContain("usage: pci list");
  const missing = run("list", "--root", "/nonexistent/dataplane");
  expect(missing.code).toBe(1);
  expect(missing.err).toContain("/nonexistent/dataplane does not exist");
});

test("the real sysfs lists without crashing", () => {
  const { code, out, err } = run("list", "--all");
  expect(err).toBe("");
  expect(code).toBe(0);
  expect(out.length).toBeGreaterThan(0);
});

test("pci --version prints the package version; a bad flag is one sentence naming it", () => {
  const { version } = require("../package.json") as { version: string };
  const v = run("--version");
  expect(v.code).toBe(0);
  expect(v.out).toBe(`pci ${version} (bun ${Bun.version})\n`);
  const bad = run("list", "--frobnicate");
  expect(bad.code).toBe(2);
  expect(bad.err).toBe(
    "pci: unknown option --frobnicate; valid options: --json, --all, --root, --vfio-dir, --help, --version; see pci --help\n",
  );
  expect(run("list", "--root").err).toBe("pci: --root needs a value; see pci --help\n");
});
