/* @dataplane/pci public API: sysfs PCI enumeration, config space, bus mastering, BAR mapping. */
export { type AccessOptions, type AccessPath, type DeviceAccess, deviceAccess } from "./access.ts";
export { DEFAULT_SYSFS_ROOT, normalizeAddress, type ResolvedSpec, resolveSpec } from "./address.ts";
export { MappedMmio, mapResourceFile } from "./bar.ts";
export {
  COMMAND_BUS_MASTER,
  COMMAND_MEMORY_SPACE,
  CONFIG_COMMAND,
  type ConfigWidth,
} from "./config.ts";
export {
  CLASS_NETWORK,
  isNetworkDevice,
  listDevices,
  openDevice,
  PciDevice,
  type PciDeviceInfo,
  readDeviceInfo,
  type SysfsOptions,
} from "./device.ts";
export { PciError, type PciErrorCode } from "./errors.ts";
export { type Mmio, type MmioWord, readRegisters } from "./mmio.ts";
export { formatBytes, type ReportEntry, renderJson, renderText } from "./report.ts";
export {
  BAR_COUNT,
  IORESOURCE_IO,
  IORESOURCE_MEM,
  IORESOURCE_MEM_64,
  IORESOURCE_PREFETCH,
  type PciResource,
  parseResourceFile,
} from "./resources.ts";
