/* @dataplane/l2fwd public API: the forwarder's building blocks, for embedding and tests. */
export { buildConfig, type Command, FLAG_NAMES, loadConfigFile, parseCommandLine } from "./args.ts";
export {
  ConfigSchema,
  checkWireSpec,
  DEFAULT_SIM_DURATION,
  DEFAULT_SIM_RATE,
  DEFAULT_WIRES,
  DeviceSpec,
  type L2fwdConfig,
  type ParsedConfig,
  resolveConfig,
  SimOptions,
  splitWireList,
  WIRE_KINDS,
} from "./config.ts";
export { DevicePort, type QueueCounts, setReceiving } from "./device-port.ts";
export {
  formatInterval,
  formatNs,
  formatSummary,
  intervalHeader,
  intervalJson,
  summaryJson,
} from "./display.ts";
export { L2fwdError, type L2fwdErrorCode } from "./errors.ts";
export {
  COUNTER_SLOTS,
  Counter,
  type ForwarderOptions,
  type ForwardMode,
  macTemplate,
  pollForwarders,
  QueueForwarder,
  TOUCHED_BYTE,
} from "./forward.ts";
export { formatEvent, type Maintenance, type PortEvent, PortHealth } from "./health.ts";
export { HELP, versionLine } from "./help.ts";
export {
  ensureHugepages,
  type HugepageNeed,
  type HugepageStatus,
  type HugepageSysfs,
  hugememPool,
  hugepagesNeeded,
  type PrecheckResult,
  readStatus,
  sysfsPool,
} from "./hugepages.ts";
export { type IxgbePairData, ixgbeWorkerHandoff } from "./ixgbe-workers.ts";
export {
  balance,
  type ForwarderCounts,
  inFlightAllowance,
  type LossLedger,
  portRingCapacity,
  type RingShape,
} from "./ledger.ts";
export { type CliDeps, EXIT_FORCED, runCli } from "./main.ts";
export {
  MEMORY_STAT_SLOTS,
  type MemoryPairData,
  MemoryPool,
  MemoryPort,
  type MemoryPortOptions,
  memoryPortPair,
  SEQ_OFFSET,
} from "./memory-port.ts";
export type {
  AttachedPorts,
  AttachPorts,
  CardCounts,
  LatencyPercentiles,
  PacketPool,
  Port,
  PortCounters,
  PortSet,
  QueueCustody,
  TrafficReport,
  WorkerHandoff,
} from "./port.ts";
export {
  type DevicePortSet,
  deviceOptions,
  type OpenPortsOptions,
  openPorts,
} from "./ports.ts";
export { describeMachine, type MachineInfo, machineInfo } from "./report/machine.ts";
export {
  escapeXml,
  niceCeiling,
  type PerfPoint,
  type PlotOptions,
  renderPlot,
} from "./report/svg.ts";
export { markdownTable, type PerfReport, reportJson, reportMarkdown } from "./report/table.ts";
export { type RunSettings, runForwarding } from "./run.ts";
export { runInWorkers } from "./run-workers.ts";
export { Cleanup, type CleanupFailure } from "./shutdown.ts";
export {
  createStopFlag,
  installStopSignals,
  STOP_SIGNALS,
  type StopSignal,
  type StopSignalHandle,
  type StopSignalOptions,
} from "./signals.ts";
export {
  type EmbeddedSim,
  type EmbeddedSimOptions,
  isRunning,
  startEmbeddedSim,
  waitForExit,
} from "./sim-process.ts";
export { trafficFromSimStats } from "./sim-traffic.ts";
export {
  gbps,
  type IntervalStats,
  intervalStats,
  judge,
  mpps,
  type PortRates,
  type PortTotals,
  type RunSummary,
  type Snapshot,
  summarize,
  takeSnapshot,
  type Verdict,
  WIRE_OVERHEAD_BYTES,
} from "./stats.ts";
export {
  CONTROL_BUSY,
  CONTROL_DRAIN,
  CONTROL_GO,
  CONTROL_STOP,
  type WorkerReport,
  type WorkerStart,
} from "./worker-protocol.ts";
export {
  ForwardingWorkers,
  haltWorkers,
  useWorkers,
  type WorkerMode,
  type WorkerOptions,
} from "./workers.ts";
