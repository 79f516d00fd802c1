/* Builds sysfs-shaped device trees in a temp directory for the tests. */
import { mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";

export interface FakeDevice {
  vendor: number;
  device: number;
  classCode: number;
  revision?: number;
  subsystemVendor?: number;
  subsystemDevice?: number;
  /** Write vendor/device/class/... attribute files (as the kernel does); else config only. */
  attributes?: boolean;
  driver?: string;
  iommuGroup?: number;
  numaNode?: number;
  /** Sizes of resourceN files by index. */
  bars?: Record<number, number>;
  /** Text of the `resource` file, if any. */
  resourceText?: string;
}

/** A temp tree: `<base>/devices/<address>` plus `<base>/drivers/<name>/unbind`. */
export class FakeSysfs {
  readonly base = mkdtempSync(`${tmpdir()}/dataplane-pci-`);
  readonly root = `${this.base}/devices`;

  constructor() {
    mkdirSync(this.root);
  }

  /** Creates a device directory and returns its path. */
  add(address: string, d: FakeDevice): string {
    const dir = `${this.root}/${address}`;
    mkdirSync(dir);
    const config = new DataView(new ArrayBuffer(256));
    config.setUint16(0x00, d.vendor, true);
    config.setUint16(0x02, d.device, true);
    config.setUint32(0x08, ((d.classCode << 8) | (d.revision ?? 1)) >>> 0, true);
    config.setUint16(0x2c, d.subsystemVendor ?? d.vendor, true);
    config.setUint16(0x2e, d.subsystemDevice ?? d.device, true);
    writeFileSync(`${dir}/config`, new Uint8Array(config.buffer));
    const attr = (name: string, text: string) => writeFileSync(`${dir}/${name}`, `${text}\n`);
    const hex = (v: number, digits: number) => `0x${v.toString(16).padStart(digits, "0")}`;
    if (d.attributes) {
      attr("vendor", hex(d.vendor, 4));
      attr("device", hex(d.device, 4));
      attr("class", hex(d.classCode, 6));
      attr("revision", hex(d.revision ?? 1, 2));
      attr("subsystem_vendor", hex(d.subsystemVendor ?? d.vendor, 4));
      attr("subsystem_device", hex(d.subsystemDevice ?? d.device, 4));
    }
    if (d.numaNode !== undefined) attr("numa_node", String(d.numaNode));
    if (d.resourceText !== undefined) writeFileSync(`${dir}/resource`, d.resourceText);
    for (const [index, bytes] of Object.entries(d.bars ?? {})) {
      writeFileSync(`${dir}/resource${index}`, new Uint8Array(bytes));
    }
    if (d.driver !== undefined) {
      const drv = `${this.base}/drivers/${d.driver}`;
      mkdirSync(drv, { recursive: true });
      writeFileSync(`${drv}/unbind`, "");
      symlinkSync(`../../drivers/${d.driver}`, `${dir}/driver`);
    }
    if (d.iommuGroup !== undefined) {
      mkdirSync(`${this.base}/iommu_groups/${d.iommuGroup}`, { recursive: true });
      symlinkSync(`../../iommu_groups/${d.iommuGroup}`, `${dir}/iommu_group`);
    }
    return dir;
  }

  [Symbol.dispose](): void {
    rmSync(this.base, { recursive: true, force: true });
  }
}

/** The 82599 used across tests: 8086:10fb, Ethernet, bound to ixgbe, IOMMU group 7. */
export const NIC: FakeDevice = {
  vendor: 0x8086,
  device: 0x10fb,
  classCode: 0x020000,
  subsystemVendor: 0x8086,
  subsystemDevice: 0x0003,
  attributes: true,
  driver: "ixgbe",
  iommuGroup: 7,
  numaNode: 1,
  bars: { 0: 512 * 1024 },
};

/** A host bridge with only a config file (a sysfs-style directory at its barest). */
export const BRIDGE: FakeDevice = { vendor: 0x8086, device: 0x0d57, classCode: 0x060000 };

/** Number of open descriptors of this process. */
export const openFds = (): number => readdirSync("/proc/self/fd").length;
