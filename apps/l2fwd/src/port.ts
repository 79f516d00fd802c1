/*
 * The small contract the forwarder needs from a NIC port, so the forwarding loop, statistics
 * and shutdown do not depend on how the port is reached (ixgbe driver over VFIO, vfio-user or
 * sysfs; or the in-memory port used by tests and benchmarks).
 */

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
  /** Payload checksum mismatches (headers a forwarder may rewrite are outside the checksum). */
  corrupted: number;
  /** Null when the sink saw no stamped frames. */
  latencyNs: LatencyPercentiles | null;
  /** The sink's own verdict and its reasons, when it gives one. */
  sinkOk: boolean;
  sinkReasons: string[];
}

/** The opened ports and what came with them (a model process, traffic endpoints). */
export interface PortSet {
  readonly ports: readonly Port[];
  /** Descriptor ring size per queue, for the in-flight allowance in the loss accounting. */
  readonly ringSize: number;
  /** Stops generated traffic so the forwarder can drain before the final count. */
  stopTraffic(): void;
  /** End-to-end measurements, or null when the ports are not wired to a generator/sink. */
  traffic(): TrafficReport | null;
  /** Stops queues, resets the devices, releases memory and child processes. Idempotent. */
  close(): void;
}
