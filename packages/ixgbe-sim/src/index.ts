/*
 * @dataplane/ixgbe-sim public API: the 82599 model, its wires, the pieces that serve it over
 * vfio-user and as a sysfs-style directory, the simulator process (startSim) and its control.
 */

// ---- the simulator process and its control ----
export {
  ControlClient,
  type ControlReply,
  type ControlRequest,
  controlCall,
} from "./control/client.ts";
export {
  COMMANDS,
  type ControlledPort,
  type ControlTarget,
  handleLine,
} from "./control/commands.ts";
export { QUEUE_WIRE_SPEC, QueueWire } from "./control/queue-wire.ts";
// ---- host memory as the device sees it ----
export type { DmaSpace } from "./dma/dma-space.ts";
export { type PhysicalDmaOptions, PhysicalDmaSpace } from "./dma/physical.ts";
export { type MapOptions, WindowDmaSpace } from "./dma/window-dma.ts";
// ---- errors: every setup-time failure of the package ----
export { IxgbeSimError, type IxgbeSimErrorCode } from "./errors.ts";
// ---- the model ----
export {
  barSizeMask,
  CAP,
  type ConfigSpaceOptions,
  configSpace,
  MSIX_BAR,
  MSIX_BAR_BYTES,
  MSIX_PBA_OFFSET,
} from "./model/config-space.ts";
export { Device, type DevicePortOptions } from "./model/device.ts";
export type {
  DmaFaultSpec,
  DmaTarget,
  FaultRecord,
  MalformedKind,
  MalformedSpec,
} from "./model/faults.ts";
export { Port, type PortOptions } from "./model/port.ts";
export {
  BAR_BYTES,
  BAR_WORDS,
  MAPPED_ALL,
  MAPPED_NONE,
  MAPPED_QUEUE_PAGES,
  type MappedRange,
  QUEUES,
} from "./model/register-map.ts";
export {
  RESET_TIMING_DEFAULT,
  type ResetTiming,
} from "./model/reset-timing.ts";
export {
  RULES,
  type Rule,
  type Strictness,
  type ViolationCount,
  type ViolationReport,
} from "./model/rules.ts";
export { STAT_REGISTERS, type StatRegister } from "./model/stats.ts";
export type { PortStats } from "./model/stats-report.ts";
export { type LoopControl, type LoopOptions, runLoop } from "./runtime/loop.ts";
export {
  DEFAULT_SOCKET_DIR,
  type SimOptions,
  type SimOptionsInput,
  SimOptionsSchema,
  splitWireList,
} from "./runtime/options.ts";
export { PortHost, pciAddress } from "./runtime/port-host.ts";
export { type ReadyInfo, type ReadyPort, Sim } from "./runtime/sim.ts";
export { type SimHandle, type StartSimOptions, startSim } from "./runtime/start.ts";
// ---- serving ----
export { SharedFile } from "./serve/bar-store.ts";
export {
  busMasterEnabled,
  CONFIG_BYTES,
  configWritableMask,
  fillConfig,
} from "./serve/config.ts";
export { DmaSwitch } from "./serve/dma-switch.ts";
export { type ClientChange, SysfsDeviceDir, type SysfsDirOptions } from "./serve/sysfs-dir.ts";
export { IRQ_COUNTS, VfioUserPort, type VfioUserPortOptions } from "./serve/vfio-user.ts";
// ---- wires ----
export { CableWire } from "./wire/cable.ts";
export { DuplexWire } from "./wire/duplex.ts";
export { type GeneratorOptions, GeneratorWire } from "./wire/generator.ts";
export { NullWire } from "./wire/null.ts";
export { PcapRecordWire, PcapReplayWire } from "./wire/pcap.ts";
export { type SinkOptions, type SinkStats, SinkWire } from "./wire/sink.ts";
export { parseWireSpec, WIRE_SPEC_FORMS, type WireSpec } from "./wire/spec.ts";
export { TapWire } from "./wire/tap.ts";
export type { Wire } from "./wire/wire.ts";
export { type WirePortOptions, WireSet } from "./wire/wire-set.ts";
