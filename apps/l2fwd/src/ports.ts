/*
 * Opening the two ports a run forwards between: the embedded ixgbe-sim model with its wires,
 * or two device specs through the ixgbe driver. The single place that knows the driver.
 *
 * Buffer sharing: queue q of each port receives into its own pool, and the other port's TX
 * queue q frees into that pool (useTxPool). On VFIO back-ends the other device must also map
 * the pool's memory for DMA (rxPoolMemory: on vfio-user it travels as the pool's memfd).
 */
import { IxgbeDevice, type OpenOptions } from "@dataplane/ixgbe";
import type { L2fwdConfig } from "./config.ts";
import { DevicePort, setReceiving } from "./device-port.ts";
import { L2fwdError } from "./errors.ts";
import { PortHealth } from "./health.ts";
import { hugepagesNeeded } from "./hugepages.ts";
import { ixgbeWorkerHandoff } from "./ixgbe-workers.ts";
import type { PortSet, TrafficReport, WorkerHandoff } from "./port.ts";
import { Cleanup } from "./shutdown.ts";
import { type EmbeddedSim, type EmbeddedSimOptions, startEmbeddedSim } from "./sim-process.ts";

/** How long a port may take to bring its link up, in ms (the driver's own default). */
const LINK_WAIT_MS = 10_000;

/** What openPorts needs besides the configuration. */
export interface OpenPortsOptions {
  /** Notices for the user (stderr): problems while stopping the model, and the like. */
  readonly notice?: (line: string) => void;
  /** Options for the embedded model (tests: shorter link delay, own socket directory). */
  readonly sim?: EmbeddedSimOptions;
}

/** Ports on the ixgbe driver, with the embedded model when no devices were given. */
export interface DevicePortSet extends PortSet {
  readonly ports: readonly [DevicePort, DevicePort];
  /** The embedded model, or null for ports given as device specs. */
  readonly sim: EmbeddedSim | null;
  /** Settles once close() is complete, the model's socket directory removed included. */
  readonly closed: Promise<void>;
}

/** Driver options for one port of a run. */
export function deviceOptions(c: L2fwdConfig): OpenOptions {
  const need = hugepagesNeeded(c);
  return {
    rxQueues: c.queues,
    txQueues: c.queues,
    rxRingSize: c.ringSize,
    txRingSize: c.ringSize,
    // A pool feeds its RX ring, the peer's TX ring and one batch in flight (hugepages.ts).
    rxPoolSize: need.buffersPerPool,
    // TX queues free into the peer's RX pools; their own pools stay unused, so keep them small.
    txPoolSize: need.txBuffersPerPool,
    promiscuous: c.promisc,
  };
}

/**
 * Opens the ports `config` names (or starts the embedded model when it names none), with
 * `config.queues` queue pairs of `config.ringSize` descriptors each, pools shared for
 * forwarding. Throws L2fwdError DEVICE (or NOT_AVAILABLE); nothing stays open on failure.
 */
export async function openPorts(
  config: L2fwdConfig,
  options: OpenPortsOptions = {},
): Promise<DevicePortSet> {
  const notice = options.notice ?? ((line: string) => process.stderr.write(`${line}\n`));
  const cleanup = new Cleanup();
  try {
    let sim: EmbeddedSim | null = null;
    let specs: readonly string[] = config.devices;
    if (config.embedded) {
      const s = await startEmbeddedSim(
        config.sim.wires,
        { ...(config.sim.processPerPort ? { processPerPort: true } : {}), ...options.sim },
        notice,
      );
      sim = s;
      cleanup.add("ixgbe-sim", () => void s.stop());
      specs = s.handle.specs;
    }
    const names = config.embedded ? ["sim:0", "sim:1"] : config.devices;
    // The model's traffic is held back (receivers off) until the run starts: startTraffic().
    const devices = await openPair(specs, config, sim === null ? null : cables(sim, specs.length));
    const ports = [
      new DevicePort(names[0] as string, config.queues, devices[0]),
      new DevicePort(names[1] as string, config.queues, devices[1]),
    ] as const;
    cleanup.add("ports", () => closePorts(ports));
    return portSet(ports, sim, config, cleanup, notice);
  } catch (e) {
    for (const f of cleanup.runAll()) notice(`l2fwd: cleanup ${f.name} failed: ${String(f.error)}`);
    throw e;
  }
}

function portSet(
  ports: readonly [DevicePort, DevicePort],
  sim: EmbeddedSim | null,
  config: L2fwdConfig,
  cleanup: Cleanup,
  notice: (line: string) => void,
): DevicePortSet {
  const health = new PortHealth(ports);
  let resolveClosed: () => void = () => {};
  const closed = new Promise<void>((resolve) => {
    resolveClosed = resolve;
  });
  return {
    ports,
    sim,
    closed,
    ringSize: config.ringSize,
    poolSize: hugepagesNeeded(config).buffersPerPool,
    // "on" always offers Workers (an export the driver refuses then says why); "auto" only
    // when every queue pair can be exported, e.g. not with trapped doorbells.
    ...(config.workers === "on" || (config.workers === "auto" && exportable(ports))
      ? { workers: workerHandoff(ports) }
      : {}),
    // Only the model's generators are ours to hold back: the cards receive nothing until the
    // run starts, and after it stops the rings still hold what arrived for the drain.
    startTraffic: () => {
      if (sim !== null) for (const p of ports) p.setReceiving(true);
    },
    stopTraffic: () => {
      if (sim !== null) for (const p of ports) p.setReceiving(false);
    },
    traffic: (): TrafficReport | null => (sim === null ? null : sim.traffic()),
    maintain: (custody) => health.check(custody),
    close: () => {
      for (const f of cleanup.runAll())
        notice(`l2fwd: closing ${f.name} failed: ${String(f.error)}`);
      void (sim?.stop() ?? Promise.resolve()).then(resolveClosed);
    },
  };
}

// True when the driver would hand every queue pair of both ports to a Worker.
function exportable(ports: readonly [DevicePort, DevicePort]): boolean {
  return ports.every((p) =>
    Array.from({ length: p.queues }, (_, q) => p.device.exportProblem(q)).every((w) => w === null),
  );
}

// Workers get the devices behind the ports at the time they start (they change on reopen).
function workerHandoff(ports: readonly [DevicePort, DevicePort]): WorkerHandoff {
  const current = () =>
    ixgbeWorkerHandoff(ports[0].device, ports[1].device, [ports[0].name, ports[1].name]);
  return {
    module: current().module,
    exportPair: (queue) => current().exportPair(queue),
    reclaimPair: (queue, force) => current().reclaimPair(queue, force),
  };
}

/** The embedded model's cables, pulled while the ports are set up. */
interface Cables {
  unplug(): void;
  plug(): void;
}

/**
 * Opens both devices and shares their pools for forwarding; closes both on any failure. With
 * `cables` the model's links stay down while the devices initialize (frames arriving then are
 * counted as not offered) and come up only after each card's receiver was turned off, so no
 * frame reaches a ring, or is dropped on a full one, before forwarding starts.
 */
async function openPair(
  specs: readonly string[],
  config: L2fwdConfig,
  cables: Cables | null,
): Promise<[IxgbeDevice, IxgbeDevice]> {
  const opened: IxgbeDevice[] = [];
  try {
    cables?.unplug();
    for (const [i, spec] of specs.entries()) {
      const dev = await openDevice(spec, i, config, cables !== null);
      opened.push(dev);
      if (cables !== null) setReceiving(dev, false);
    }
    if (cables !== null) {
      cables.plug();
      for (const [i, dev] of opened.entries()) await waitForLink(dev, i);
    }
    const [a, b] = opened as [IxgbeDevice, IxgbeDevice];
    sharePools(a, b, config.queues);
    sharePools(b, a, config.queues);
    return [a, b];
  } catch (e) {
    for (const d of opened) closeQuietly(d);
    throw e;
  }
}

function cables(sim: EmbeddedSim, ports: number): Cables {
  const all = (cmd: string) => {
    for (let p = 0; p < ports; p++) sim.control(p, cmd);
  };
  return { unplug: () => all("link-down"), plug: () => all("link-up") };
}

async function openDevice(
  spec: string,
  index: number,
  config: L2fwdConfig,
  ownLinkWait: boolean,
): Promise<IxgbeDevice> {
  try {
    return await IxgbeDevice.open(spec, { ...deviceOptions(config), waitForLink: !ownLinkWait });
  } catch (cause) {
    throw new L2fwdError(
      "DEVICE",
      `cannot open port ${index} (${spec}): ${(cause as Error).message}`,
      { cause },
    );
  }
}

async function waitForLink(dev: IxgbeDevice, index: number): Promise<void> {
  const end = Date.now() + LINK_WAIT_MS;
  while (!dev.link().up) {
    if (Date.now() > end) {
      throw new L2fwdError(
        "DEVICE",
        `port ${index} (${dev.name}): link still down after ${LINK_WAIT_MS / 1000} s; check the cable or the model's wire`,
      );
    }
    await Bun.sleep(5);
  }
}

// TX queue q of `tx` sends frames received into `rx`'s pool q, and frees them there.
function sharePools(tx: IxgbeDevice, rx: IxgbeDevice, queues: number): void {
  const mapped = tx.kind === "vfio-user" || tx.kind === "kernel-vfio";
  for (let q = 0; q < queues; q++) {
    const pool = rx.rxPool(q);
    tx.useTxPool(q, pool, mapped ? rx.rxPoolMemory(q) : undefined);
  }
}

function closePorts(ports: readonly DevicePort[]): void {
  const errors: unknown[] = [];
  for (const p of ports) {
    try {
      p.device.close();
    } catch (e) {
      errors.push(e);
    }
  }
  if (errors.length > 0) throw errors[0];
}

function closeQuietly(d: IxgbeDevice): void {
  try {
    d.close();
  } catch {
    // the open error is the one worth reporting
  }
}
