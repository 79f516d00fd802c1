/* @dataplane/vfio public API: the VfioDevice contract, the vfio-user client and server. */

// The contract both backends implement.
export {
  type DeviceInfo,
  type DmaMemory,
  IRQ_INTX,
  IRQ_MSI,
  IRQ_MSIX,
  type IrqInfo,
  REGION_BAR0,
  REGION_CONFIG,
  type RegionInfo,
  type SparseArea,
  type VfioDevice,
} from "./device.ts";
export { VfioError, type VfioErrorCode } from "./errors.ts";

// Kernel VFIO backend (src/kernel/).
export {
  type Field,
  IOCTL as VFIO_IOCTL,
  LAYOUTS as VFIO_LAYOUTS,
  type Layout,
  VFIO,
} from "./kernel/abi.ts";
export { KernelVfioDevice } from "./kernel/device.ts";
export { checkDmaRequest, DEFAULT_IOVA_LIMIT, type DmaLimits } from "./kernel/dma.ts";
export { type KernelDeviceOptions, openKernelDevice } from "./kernel/open.ts";
export { mappableAreas, RegionMmio } from "./kernel/region-mmio.ts";
export type { IommuInfo, IovaRange } from "./kernel/structs.ts";

// ---- vfio-user client ----
export { VfioUserClient } from "./user/client.ts";
export { connectVfioUser, type VfioUserOptions } from "./user/connect.ts";

// ---- vfio-user server and the device-model contract ----
export {
  DMA_READ,
  DMA_READ_WRITE,
  DMA_WRITE,
  DmaSpace,
  VIEW_SPAN,
  VIEW_STRIDE,
} from "./user/dma-space.ts";
export type {
  ConfigSpaceModel,
  MmapArea,
  RegionModel,
  ResetReason,
  VfioUserDeviceModel,
} from "./user/model.ts";
export {
  VfioUserServer,
  type VfioUserServerOptions,
  type VfioUserServerStats,
} from "./user/server.ts";
