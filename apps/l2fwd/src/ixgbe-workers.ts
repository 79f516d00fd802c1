/*
 * Worker support for ports on the ixgbe driver. Main thread: `ixgbeWorkerHandoff(a, b)` goes
 * into the PortSet as `workers`; it exports queue pair q of both devices with the driver's
 * exportQueues (so the pools both directions share travel once) and reclaims it afterwards.
 * Worker: `attachPorts` attaches the queues and wraps each device's RX q / TX q in a Port.
 */
import {
  attachQueues,
  exportQueues,
  type IxgbeDevice,
  parseMac,
  type QueueHandoff,
  type RxQueue,
  type TxQueue,
} from "@dataplane/ixgbe";
import type { AttachedPorts, PacketPool, Port, PortCounters, WorkerHandoff } from "./port.ts";

/** What a Worker gets for one queue pair of two ixgbe ports. */
export interface IxgbePairData {
  readonly handoff: QueueHandoff;
  readonly names: readonly [string, string];
  readonly macs: readonly [string, string];
}

/**
 * Queue pairs of ports on devices `a` and `b` (TX q of each freeing into the other's RX q
 * pool, as set up with useTxPool) driven by Workers. Doorbells must be directly mapped: the
 * driver refuses trapped ones (BAD_CONFIG) when a pair is exported.
 */
export function ixgbeWorkerHandoff(
  a: IxgbeDevice,
  b: IxgbeDevice,
  names: readonly [string, string] = [a.name, b.name],
): WorkerHandoff {
  return {
    module: new URL("./ixgbe-workers.ts", import.meta.url).href,
    exportPair(queue: number): IxgbePairData {
      const macs: [string, string] = [a.macAddress(), b.macAddress()];
      const handoff = exportQueues([
        { device: a, queue },
        { device: b, queue },
      ]);
      return { handoff, names, macs };
    },
    reclaimPair(queue: number, force: boolean): boolean {
      const ra = a.reclaimQueue(queue, { force });
      const rb = b.reclaimQueue(queue, { force });
      return ra && rb;
    },
  };
}

/** One device's RX q and TX q as a one-queue Port (queue numbers are ignored). */
class QueuePort implements Port {
  readonly queues = 1;
  readonly mac: Uint8Array;

  constructor(
    readonly name: string,
    mac: string,
    private readonly rx: RxQueue,
    private readonly tx: TxQueue,
  ) {
    this.mac = Uint8Array.from(parseMac(mac));
  }

  rxBatch(_queue: number, bufs: Uint32Array, max: number): number {
    return this.rx.rxBatch(bufs, max);
  }

  txBatch(_queue: number, bufs: Uint32Array, count: number): number {
    return this.tx.txBatch(bufs, count);
  }

  pool(): PacketPool {
    return this.rx.pool;
  }

  /** Device counters are read by the main thread; a Worker's port has none of its own. */
  stats(): PortCounters {
    return { rxPackets: 0, rxBytes: 0, txPackets: 0, txBytes: 0, rxDropped: 0 };
  }
}

/** Worker side (the WorkerHandoff `attachPorts` export). */
export function attachPorts(data: unknown): AttachedPorts {
  const d = data as IxgbePairData;
  const attachment = attachQueues(d.handoff);
  const [qa, qb] = attachment.queues;
  if (qa === undefined || qb === undefined) {
    attachment.detach();
    throw new Error(
      `expected one queue pair of two devices, got ${attachment.queues.length} queues`,
    );
  }
  return {
    a: new QueuePort(d.names[0], d.macs[0], qa.rx, qa.tx),
    b: new QueuePort(d.names[1], d.macs[1], qb.rx, qb.tx),
    queue: 0,
    detach: () => attachment.detach(),
  };
}
