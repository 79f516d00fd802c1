/*
 * stats(): the model's own counters as plain JSON, for the control socket and tests. These run
 * free (no clear-on-read) and say why frames were dropped, which the card's registers only
 * partly do.
 */
import { KS } from "./core.ts";
import type { Port } from "./port.ts";
import type { ViolationReport } from "./rules.ts";

/** Snapshot returned by Port.stats(). All counts since construction. */
export interface PortStats {
  /** PCI function. */
  readonly lanId: number;
  /** Link state and number of up/down changes. */
  readonly link: { readonly up: boolean; readonly changes: number };
  /** Receive side. */
  readonly rx: {
    /** Frames taken from the wire while receiving (every drop but rxDisabled and linkDown). */
    readonly frames: number;
    /** Their bytes (without FCS). */
    readonly bytes: number;
    /** Frames written to host memory. */
    readonly delivered: number;
    /** Frames that waited in the packet buffer for descriptors. */
    readonly held: number;
    /** Frames now waiting in the packet buffer. */
    readonly waiting: number;
    /** Drops by reason. */
    readonly dropped: {
      readonly rxDisabled: number;
      readonly linkDown: number;
      readonly filtered: number;
      readonly queueDisabled: number;
      readonly noDescriptor: number;
      readonly packetBufferFull: number;
      readonly crcError: number;
      readonly undersize: number;
      readonly oversize: number;
      readonly dmaFault: number;
      readonly malformed: number;
      /** Waiting in the packet buffer when the device was reset. */
      readonly reset: number;
    };
    /**
     * Frames whose buffer write hit an unmapped address: posted writes, so the data was lost
     * but the descriptor was written back and the queue ran on (the card never learns of the
     * IOMMU fault; a driver sees only the frame's content missing). Counted in delivered, not
     * in dropped.
     */
    readonly bufferFaults: number;
  };
  /** Transmit side. */
  readonly tx: {
    /** Frames handed to the wire. */
    readonly frames: number;
    /** Their bytes as put on the wire (padding included, no FCS). */
    readonly bytes: number;
    /** Drops by reason. */
    readonly dropped: { readonly malformed: number; readonly dmaFault: number };
  };
  /** DMA accesses that did not resolve (incl. injected ones). */
  readonly dmaFaults: number;
  /** Malformed descriptors or ring settings seen. */
  readonly malformedDescriptors: number;
  /** Queues the model stopped after a ring fault. */
  readonly queuesStopped: number;
  /** Device resets (CTRL.RST or reset()). */
  readonly resets: number;
  /** Interrupts delivered: total and per vector (only vectors that fired). */
  readonly interrupts: { readonly total: number; readonly perVector: Record<string, number> };
  /** Datasheet rules the driver broke (rules.ts), per rule. */
  readonly violations: ViolationReport;
}

/** Builds the snapshot for `port`. */
export function portStats(port: Port): PortStats {
  const c = port.core;
  const k = c.k;
  const perVector: Record<string, number> = {};
  let total = 0;
  c.intr.fired.forEach((n, v) => {
    if (n > 0) perVector[String(v)] = n;
    total += n;
  });
  return {
    lanId: port.lanId,
    link: { up: c.linkUp, changes: k[KS.LINK_CHANGES] },
    rx: {
      frames: k[KS.RX_FRAMES],
      bytes: k[KS.RX_BYTES],
      delivered: k[KS.RX_DELIVERED],
      held: k[KS.RX_HELD],
      waiting: port.rx.pb.count,
      dropped: {
        rxDisabled: k[KS.DROP_RX_DISABLED],
        linkDown: k[KS.DROP_LINK_DOWN],
        filtered: k[KS.DROP_FILTERED],
        queueDisabled: k[KS.DROP_QUEUE_DISABLED],
        noDescriptor: k[KS.DROP_NO_DESCRIPTOR],
        packetBufferFull: k[KS.DROP_PACKET_BUFFER_FULL],
        crcError: k[KS.DROP_CRC],
        undersize: k[KS.DROP_UNDERSIZE],
        oversize: k[KS.DROP_OVERSIZE],
        dmaFault: k[KS.DROP_RX_DMA_FAULT],
        malformed: k[KS.DROP_RX_MALFORMED],
        reset: k[KS.DROP_RESET],
      },
      bufferFaults: k[KS.RX_BUFFER_FAULTS],
    },
    tx: {
      frames: k[KS.TX_FRAMES],
      bytes: k[KS.TX_BYTES],
      dropped: { malformed: k[KS.DROP_TX_MALFORMED], dmaFault: k[KS.DROP_TX_DMA_FAULT] },
    },
    dmaFaults: k[KS.DMA_FAULTS],
    malformedDescriptors: k[KS.MALFORMED],
    queuesStopped: k[KS.QUEUES_STOPPED],
    resets: k[KS.RESETS],
    interrupts: { total, perVector },
    violations: port.violations(),
  };
}
