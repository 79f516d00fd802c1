/*
 * The small contract the forwarder needs from a NIC port, so the forwarding loop, statistics
 * and shutdown do not depend on how the port is reached (ixgbe driver over VFIO, vfio-user or
 * sysfs; or the in-memory port used by tests and benchmarks).
 */
import type { Maintenance } from "./health.ts";

/**
 * The packet buffers behind one RX queue: buffers are indices, their bytes live in `u8`.
 * A @dataplane/mempool `Mempool` has this shape. Not thread-safe: one pool per queue pair,
 * used by exactly one forwarding loop.
 */
export interface PacketPool {
  /** The whole pool's memory; buffer i's frame starts at `u8[dataOffset[i]]`. */
  readonly u8: Uint8Array;
  /** Byte offset of each buffer's frame data in `u8`, computed once at setup. */
  readonly dataOffset: Uint32Array | Float64Array;
  /** Frame length in bytes of each buffer (without CRC), written by RX. */
  readonly len: Uint32Array;
  /** Returns `from[0..n)` to the pool; returns how many were freed. Allocation-free. */
  freeBatch(from: Uint32Array, n: number): number;
}

/**
 * Cumulative counters of one port since it was opened. Byte counts include the 4-byte CRC
 * (what the 82599's GORC/GOTC count), so line-rate figures follow from them (see stats.ts).
 */
export interface PortCounters {
  rxPackets: number;
  rxBytes: number;
  txPackets: number;
  txBytes: number;
  /** Frames the port had to drop on receive: no free descriptor (82599 MPC) or RX errors. */
  rxDropped: number;
}

/**
 * One NIC port as the forwarder sees it. The hot-path methods take caller-owned
 * Uint32Arrays of buffer indices, return counts, allocate nothing and never throw.
 *
 * Buffer ownership: buffers received on queue q of port A belong to `A.pool(q)`. The
 * forwarder hands them to `B.txBatch(q, ...)`; the port pair must be wired so that B's TX
 * queue q returns completed buffers to `A.pool(q)` (one pool per direction and queue pair).
 */
export interface Port {
  /** How the user named it, e.g. "0000:03:00.0" or "vfio-user:/run/ixgbe-sim/p0.sock". */
  readonly name: string;
  /** Number of RX/TX queue pairs that are running. */
  readonly queues: number;
  /** The port's MAC address, 6 bytes. */
  readonly mac: Uint8Array;
  /** Moves up to `max` received buffer indices into `bufs[0..)`; returns how many. */
  rxBatch(queue: number, bufs: Uint32Array, max: number): number;
  /**
   * Queues `bufs[0..count)` for transmission; returns how many it took (a prefix). The rest
   * stay owned by the caller.
   */
  txBatch(queue: number, bufs: Uint32Array, count: number): number;
  /** The pool that owns the buffers received on `queue`. */
  pool(queue: number): PacketPool;
  /** Reads the device counters (setup-speed call: once per statistics interval). */
  stats(): PortCounters;
}

/** Latency percentiles in nanoseconds, as measured by a traffic sink. */
export interface LatencyPercentiles {
  p50: number;
  p90: number;
  p99: number;
  p999: number;
  max: number;
}

/**
 * What a traffic generator/sink pair measured end to end (the embedded model's `gen` and
 * `sink` wires). Frames are counted over all ports and directions.
 */
export interface TrafficReport {
  generated: number;
  received: number;
  /** Sequence gaps that were never filled: generated frames that did not reach a sink. */
  lost: number;
  reordered: number;
  duplicated: number;
  /**
   * Generator frames that came back altered: stamp checksum mismatches (the MACs a forwarder
   * may rewrite are outside the checksum), and, where only generators feed the ports, frames
   * that no longer carry a recognisable stamp.
   */
  corrupted: number;
  /** Null when the sink saw no stamped frames. */
  latencyNs: LatencyPercentiles | null;
  /** The sink's own verdict and its reasons, when it gives one. */
  sinkOk: boolean;
  sinkReasons: string[];
  /**
   * Frames generated while a port could not take them (receive off or link down: before the
   * forwarder started, after the traffic stopped, during a link flap). Not in `generated`.
   */
  notOffered?: number;
  /**
   * Frames the card dropped after they were offered (no descriptor, buffer full, a stopped
   * queue, a reset, errors), as the device model counts them.
   */
  cardDropped?: number;
  /** What the card model counted between the wire and host memory; absent without a model. */
  card?: CardCounts;
}

/** The card model's own counts over the run, summed over both ports (ledger.ts uses them). */
export interface CardCounts {
  /** Offered frames dropped, by the model's reason (receive and transmit; sums to cardDropped). */
  readonly drops: Readonly<Record<string, number>>;
  /** Frames written to host RX rings. */
  readonly delivered: number;
  /** Frames taken from host TX rings and put on the wire. */
  readonly transmitted: number;
  /** Frames taken from host TX rings and dropped (malformed, DMA fault); also in `drops`. */
  readonly txDropped: number;
  /** Frames waiting in the packet buffer at the final count. */
  readonly waiting: number;
}

/**
 * Queue pairs of a port set that can run in Worker threads (one Worker per pair, see
 * workers.ts). The main thread exports a pair, a Worker imports `module` and calls its
 * `attachPorts(data)` export, and after the Worker detached the main thread reclaims the pair.
 */
export interface WorkerHandoff {
  /** URL (file://) of the module a Worker imports; it exports `attachPorts: AttachPorts`. */
  readonly module: string;
  /**
   * Takes queue pair `queue` of both ports away from this thread. Returns what `attachPorts`
   * needs in the Worker: structured-clone-able (numbers, strings, SharedArrayBuffers).
   */
  exportPair(queue: number): unknown;
  /**
   * Takes the pair back once its Worker detached (`force`: the Worker died attached; the pair
   * then stays out of use until close). Returns true when the pair is usable here again.
   */
  reclaimPair(queue: number, force: boolean): boolean;
}

/** The two ports of one queue pair as rebuilt in a Worker. */
export interface AttachedPorts {
  readonly a: Port;
  readonly b: Port;
  /** The queue number to use with `a` and `b` (often 0: the Worker's ports have one queue). */
  readonly queue: number;
  /** Stops traffic generated inside the Worker (in-memory ports); absent when there is none. */
  stopTraffic?(): void;
  /** Hands the pair back to the main thread. The ports do nothing afterwards. */
  detach(): void;
}

/** The `attachPorts` export of a WorkerHandoff module. */
export type AttachPorts = (data: unknown) => AttachedPorts;

/**
 * How maintain() gets the queue pairs back from Workers to repair a port, and returns them
 * (ForwardingWorkers.pause / resume). Without Workers the queues are home already.
 */
export interface QueueCustody {
  /** Stops the Workers and takes every queue pair back to this thread. */
  takeHome(): Promise<void>;
  /** Hands every queue pair to Workers again; they forward at once. */
  handOut(): Promise<void>;
}

/** The opened ports and what came with them (a model process, traffic endpoints). */
export interface PortSet {
  readonly ports: readonly Port[];
  /** Present when queue pairs can be driven by Workers (`--workers`). */
  readonly workers?: WorkerHandoff;
  /** Descriptor ring size per queue, for the in-flight allowance in the loss accounting. */
  readonly ringSize: number;
  /** Buffers per RX pool, for the same allowance (ledger.ts); absent: not a bound. */
  readonly poolSize?: number;
  /**
   * Starts generated traffic: called once, right after the run's first snapshot, so every
   * frame the traffic report counts falls inside the run. Absent when traffic flows anyway.
   */
  startTraffic?(): void;
  /** Stops generated traffic so the forwarder can drain before the final count. */
  stopTraffic(): void;
  /** End-to-end measurements, or null when the ports are not wired to a generator/sink. */
  traffic(): TrafficReport | null;
  /**
   * Checks the ports between polling slices (link changes, a device that reset itself or
   * stopped a queue) and recovers what it can, keeping queues and pools, so the forwarders
   * carry on. With Workers, `custody` takes the queue pairs home for the repair and hands them
   * out again. Absent when the ports need no watching.
   */
  maintain?(custody?: QueueCustody): Promise<Maintenance | null>;
  /** Stops queues, resets the devices, releases memory and child processes. Idempotent. */
  close(): void;
}
