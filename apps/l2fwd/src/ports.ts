/*
 * Opening the two ports a run forwards between: the embedded ixgbe-sim model with its wires,
 * or two device specs through the ixgbe driver. The single place that knows the driver.
 */
import type { L2fwdConfig } from "./config.ts";
import { L2fwdError } from "./errors.ts";
import type { PortSet } from "./port.ts";

/**
 * Opens the ports `config` names (or starts the embedded model when it names none), with
 * `config.queues` queue pairs of `config.ringSize` descriptors each. Throws L2fwdError.
 */
export async function openPorts(config: L2fwdConfig): Promise<PortSet> {
  const what = config.embedded
    ? `the embedded model (wires ${config.sim.wires.join(", ")})`
    : config.devices.join(" and ");
  throw new L2fwdError(
    "NOT_AVAILABLE",
    `cannot open ${what}: the ixgbe driver is not available yet (@dataplane/ixgbe has no IxgbeDevice.open); the forwarder, statistics and report run against in-memory ports meanwhile (bun run bench:l2fwd --backend memory)`,
  );
}
