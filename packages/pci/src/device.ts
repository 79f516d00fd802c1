/*
 * One PCI function seen through a sysfs directory: identity, config space, bus mastering,
 * driver unbind and BAR mapping. Works the same on /sys/bus/pci/devices/<addr> and on a
 * sysfs-style directory that a device model serves (config + resourceN files).
 */
import { readdirSync, statSync, writeFileSync } from "node:fs";
import { basename } from "node:path";
import { DEFAULT_SYSFS_ROOT, normalizeAddress, resolveSpec } from "./address.ts";
import { type MappedMmio, mapResourceFile } from "./bar.ts";
import {
  COMMAND_BUS_MASTER,
  COMMAND_MEMORY_SPACE,
  CONFIG_COMMAND,
  type ConfigWidth,
  readConfigFile,
  writeConfigFile,
} from "./config.ts";
import { fileError, PciError } from "./errors.ts";
import { BAR_COUNT, type PciResource, readResources } from "./resources.ts";
import { exists, linkBasename, readNumberAttr } from "./sysfs.ts";

/** What sysfs says about a function; a snapshot taken when the device was opened. */
export interface PciDeviceInfo {
  /** PCI address (`0000:03:00.0`), or the directory name of a sysfs-style directory. */
  readonly address: string;
  /** The device directory. */
  readonly dir: string;
  readonly vendor: number;
  readonly device: number;
  /** 24-bit class code: base class << 16 | subclass << 8 | prog-if (0x020000 = Ethernet). */
  readonly classCode: number;
  readonly revision: number;
  readonly subsystemVendor: number;
  readonly subsystemDevice: number;
  /** Name of the bound kernel driver, or null. */
  readonly driver: string | null;
  /** IOMMU group number, or null when the device has no IOMMU group. */
  readonly iommuGroup: number | null;
  /** NUMA node, -1 when unknown. */
  readonly numaNode: number;
  readonly resources: readonly PciResource[];
}

/** Base class 0x02: network controllers. */
export const CLASS_NETWORK = 0x02;

function idAttr(dir: string, name: string, configOffset: number, bytes: ConfigWidth): number {
  const fromAttr = readNumberAttr(`${dir}/${name}`);
  return fromAttr ?? readConfigFile(`${dir}/config`, configOffset, bytes);
}

function checkDeviceDir(dir: string): void {
  let isDir = false;
  try {
    isDir = statSync(dir).isDirectory();
  } catch (e) {
    if ((e as { code?: unknown }).code !== "ENOENT") throw fileError("stat of", dir, e);
    throw new PciError(
      "NO_DEVICE",
      `${dir} does not exist; list devices with "bun run pci list --all"`,
    );
  }
  if (!isDir || !exists(`${dir}/config`)) {
    throw new PciError(
      "NOT_A_DEVICE_DIR",
      `${dir} is not a PCI device directory (no config file); point at /sys/bus/pci/devices/<address> or a directory with config and resourceN files`,
    );
  }
}

/** Reads the identity, driver, IOMMU group, NUMA node and resources of the function in `dir`. */
export function readDeviceInfo(dir: string, address?: string): PciDeviceInfo {
  checkDeviceDir(dir);
  const name = basename(dir);
  const classWord = readNumberAttr(`${dir}/class`);
  const group = linkBasename(`${dir}/iommu_group`);
  const groupNumber = group === null ? Number.NaN : Number(group);
  return {
    address: address ?? normalizeAddress(name) ?? name,
    dir,
    vendor: idAttr(dir, "vendor", 0x00, 2),
    device: idAttr(dir, "device", 0x02, 2),
    classCode: classWord ?? readConfigFile(`${dir}/config`, 0x08, 4) >>> 8,
    revision: idAttr(dir, "revision", 0x08, 1),
    subsystemVendor: idAttr(dir, "subsystem_vendor", 0x2c, 2),
    subsystemDevice: idAttr(dir, "subsystem_device", 0x2e, 2),
    driver: linkBasename(`${dir}/driver`),
    iommuGroup: Number.isInteger(groupNumber) ? groupNumber : null,
    numaNode: readNumberAttr(`${dir}/numa_node`) ?? -1,
    resources: readResources(dir),
  };
}

/** A PCI function. Holds no descriptors: config accesses open and close the file each time. */
export class PciDevice {
  /** Opens the function in `dir`; prefer openDevice(spec). */
  constructor(readonly info: PciDeviceInfo) {}

  /** The device directory. */
  get dir(): string {
    return this.info.dir;
  }

  /** Reads 1, 2 or 4 bytes (little-endian) of config space at `offset`. */
  readConfig(offset: number, bytes: ConfigWidth): number {
    return readConfigFile(`${this.info.dir}/config`, offset, bytes);
  }

  /** Writes 1, 2 or 4 bytes (little-endian) of config space at `offset`. Needs root on real sysfs. */
  writeConfig(offset: number, bytes: ConfigWidth, value: number): void {
    writeConfigFile(`${this.info.dir}/config`, offset, bytes, value);
  }

  /**
   * Sets Bus Master Enable (command bit 2, the NIC does no DMA without it) and Memory Space
   * Enable (bit 1). Writes only when a bit was missing. Returns the command register after.
   */
  enableBusMaster(): number {
    const command = this.readConfig(CONFIG_COMMAND, 2);
    const wanted = command | COMMAND_BUS_MASTER | COMMAND_MEMORY_SPACE;
    if (wanted !== command) this.writeConfig(CONFIG_COMMAND, 2, wanted);
    return wanted;
  }

  /** True when command bit 2 (Bus Master Enable) is set. */
  busMasterEnabled(): boolean {
    return (this.readConfig(CONFIG_COMMAND, 2) & COMMAND_BUS_MASTER) !== 0;
  }

  /**
   * Detaches the bound kernel driver by writing the address to `driver/unbind`.
   * Returns the driver's name, or null when none was bound (or it has no unbind file).
   */
  unbindDriver(): string | null {
    const driver = linkBasename(`${this.info.dir}/driver`);
    const unbind = `${this.info.dir}/driver/unbind`;
    if (driver === null || !exists(unbind)) return null;
    try {
      writeFileSync(unbind, this.info.address);
    } catch (e) {
      throw fileError(`unbinding driver ${driver} through`, unbind, e);
    }
    return driver;
  }

  /** Maps BAR `index` (sysfs resourceN) shared and read-write. Close the result to unmap. */
  mapResource(index = 0): MappedMmio {
    if (!Number.isInteger(index) || index < 0 || index >= BAR_COUNT) {
      throw new PciError("NO_RESOURCE", `BAR index ${index} is not one of 0..${BAR_COUNT - 1}`);
    }
    return mapResourceFile(`${this.info.dir}/resource${index}`);
  }
}

/** Options shared by openDevice and listDevices. */
export interface SysfsOptions {
  /** Directory holding one entry per function; default /sys/bus/pci/devices. */
  readonly root?: string;
}

/**
 * Opens one function: `sysfs:/path/dir` for a directory, or a PCI address under the root.
 * Throws PciError BAD_SPEC, NO_DEVICE or NOT_A_DEVICE_DIR.
 */
export function openDevice(spec: string, options: SysfsOptions = {}): PciDevice {
  const { dir, address } = resolveSpec(spec, options.root ?? DEFAULT_SYSFS_ROOT);
  return new PciDevice(readDeviceInfo(dir, address ?? undefined));
}

/** Every function under the root, sorted by address; entries without a config file are skipped. */
export function listDevices(options: SysfsOptions = {}): PciDeviceInfo[] {
  const root = options.root ?? DEFAULT_SYSFS_ROOT;
  let names: string[];
  try {
    names = readdirSync(root);
  } catch (e) {
    if ((e as { code?: unknown }).code === "ENOENT") {
      throw new PciError(
        "NO_DEVICE",
        `sysfs root ${root} does not exist; pass another with --root`,
      );
    }
    throw fileError("listing", root, e);
  }
  return names
    .sort()
    .filter((name) => exists(`${root}/${name}/config`))
    .map((name) => readDeviceInfo(`${root}/${name}`));
}

/** True for network controllers (base class 0x02). */
export const isNetworkDevice = (info: PciDeviceInfo): boolean =>
  info.classCode >>> 16 === CLASS_NETWORK;
