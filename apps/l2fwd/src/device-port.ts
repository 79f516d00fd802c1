/*
 * A Port over an ixgbe driver device. The hot path goes straight to the driver's queue
 * objects; statistics come from the card's counters.
 */
import {
  type BufferPool,
  type IxgbeDevice,
  type LinkStatus,
  parseMac,
  type RxQueue,
  type TxQueue,
} from "@dataplane/ixgbe";
import * as R from "@dataplane/ixgbe/regs";
import type { Port, PortCounters } from "./port.ts";

/** Per-queue frame counts of a port: the driver's software counters. */
export interface QueueCounts {
  readonly rx: readonly number[];
  readonly tx: readonly number[];
}

/** One port on the ixgbe driver: `queues` RX/TX queue pairs of its device. */
export class DevicePort implements Port {
  readonly mac: Uint8Array;
  private readonly rxq: RxQueue[];
  private readonly txq: TxQueue[];
  private readonly pools: BufferPool[];

  constructor(
    /** How the user named the port. */
    readonly name: string,
    readonly queues: number,
    /** The device behind the port. */
    readonly device: IxgbeDevice,
  ) {
    if (device.rxQueues < queues || device.txQueues < queues) {
      throw new RangeError(
        `${name}: device has ${device.rxQueues} RX / ${device.txQueues} TX queues, the port needs ${queues}`,
      );
    }
    this.mac = parseMac(device.macAddress());
    this.rxq = Array.from({ length: queues }, (_, q) => device.rxQueue(q));
    this.txq = Array.from({ length: queues }, (_, q) => device.txQueue(q));
    this.pools = Array.from({ length: queues }, (_, q) => device.rxPool(q));
  }

  rxBatch(queue: number, bufs: Uint32Array, max: number): number {
    return (this.rxq[queue] as RxQueue).rxBatch(bufs, max);
  }

  txBatch(queue: number, bufs: Uint32Array, count: number): number {
    return (this.txq[queue] as TxQueue).txBatch(bufs, count);
  }

  pool(queue: number): BufferPool {
    return this.pools[queue] as BufferPool;
  }

  /**
   * Counters since the port was opened, from the card: good frames and octets received and
   * sent (GPRC/GORC, GPTC/GOTC, CRC included) and receive drops: frames missed for lack of
   * packet buffer (MPC) plus frames each queue dropped for lack of a free descriptor (QPRDC).
   */
  stats(): PortCounters {
    const dev = this.device;
    if (dev.isClosed) return { rxPackets: 0, rxBytes: 0, txPackets: 0, txBytes: 0, rxDropped: 0 };
    const s = dev.readStats();
    let noDescriptor = 0;
    for (const q of s.rxQueues) noDescriptor += q.dropped;
    return {
      rxPackets: s.macRxPackets, // GPRC: delivered + missed + no-descriptor drops
      rxBytes: s.rxBytes,
      txPackets: s.txPackets,
      txBytes: s.txBytes,
      rxDropped: s.rxMissed + noDescriptor,
    };
  }

  /** Per-queue frame counts (the driver's software counters). */
  queueCounts(): QueueCounts {
    const s = this.device.readStats();
    return {
      rx: s.rxQueues.map((q) => q.swPackets),
      tx: s.txQueues.map((q) => q.swPackets),
    };
  }

  /** Link state from LINKS. */
  link(): LinkStatus {
    return this.device.link();
  }

  /**
   * Turns the card's receiver on or off (see setReceiving): how generated traffic is held back
   * until forwarding starts, and ended.
   */
  setReceiving(on: boolean): void {
    setReceiving(this.device, on);
  }
}

/**
 * Turns the card's receiver on or off (RXCTRL.RXEN). Off, frames arriving from the wire are
 * dropped by the card (counted by no register) and those already in the RX rings can still be
 * read.
 */
export function setReceiving(dev: IxgbeDevice, on: boolean): void {
  const mmio = dev.mmio;
  const v = mmio.read32(R.RXCTRL);
  mmio.write32(R.RXCTRL, on ? v | R.RXCTRL_RXEN : v & ~R.RXCTRL_RXEN);
}
