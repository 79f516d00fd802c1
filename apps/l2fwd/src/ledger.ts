/*
 * The loss ledger: where each generated frame that never reached a sink went. With the embedded
 * model every stage counts on its own: the card model (frames dropped by reason, frames written
 * to RX rings, frames taken from TX rings), the forwarder (frames taken from RX rings, handed to
 * TX rings, freed on a full TX ring) and the sinks. So, exactly,
 *
 *   lost = card drops + forwarder drops + frames lost in the rings + frames held in the card
 *
 * where "lost in the rings" is what the card wrote to RX rings and the forwarder never took,
 * plus what the forwarder queued on TX rings and the card never sent: the rings' contents when
 * a port was set up again after a fault (recover() starts its rings over), or still there at
 * the final count. Anything else is unexplained: a frame lost inside the card, the forwarder
 * or on the way to a sink, which the verdict fails. The rings' share is measured, and bounded by
 * what the rings can hold (inFlightAllowance).
 */
import type { TrafficReport } from "./port.ts";

/** The forwarder's side of a run, summed over both ports and all queue pairs. */
export interface ForwarderCounts {
  /** Frames the forwarder took from the RX rings. */
  readonly taken: number;
  /** Frames it handed to TX rings that took them. */
  readonly forwarded: number;
  /** Frames it freed because a TX ring was full. */
  readonly dropped: number;
  /** Receive drops from the ports' own counters (used when no card model reports). */
  readonly portRxDropped: number;
}

/** Where the lost frames went; `unexplained` is 0 when every one is accounted for. */
export interface LossLedger {
  /** Frames generated (and offered) that no sink received. */
  readonly lost: number;
  /** Offered frames the card dropped: by the model's reasons, or the ports' drop counters. */
  readonly cardDropped: number;
  /** Frames the forwarder freed on a full TX ring. */
  readonly forwarderDropped: number;
  /** Frames lost in the host's RX and TX rings (fault recoveries) or still there at the end. */
  readonly inRings: number;
  /** Frames still waiting in the card's packet buffer at the final count. */
  readonly inCard: number;
  /** lost minus everything above. */
  readonly unexplained: number;
}

/** Balances the traffic report against the forwarder's counts. */
export function balance(t: TrafficReport, f: ForwarderCounts): LossLedger {
  const card = t.card;
  const lost = t.generated - t.received;
  if (card === undefined) {
    // In-memory ports: no rings and no card; their drop counter and the forwarder's are all.
    const explained = f.portRxDropped + f.dropped;
    return {
      lost,
      cardDropped: f.portRxDropped,
      forwarderDropped: f.dropped,
      inRings: 0,
      inCard: 0,
      unexplained: lost - explained,
    };
  }
  const cardDropped = Object.values(card.drops).reduce((s, v) => s + v, 0);
  const inRx = card.delivered - f.taken;
  const inTx = f.forwarded - card.transmitted - card.txDropped;
  const inRings = inRx + inTx;
  return {
    lost,
    cardDropped,
    forwarderDropped: f.dropped,
    inRings,
    inCard: card.waiting,
    unexplained: lost - cardDropped - f.dropped - inRings - card.waiting,
  };
}

/** The sizes that bound what can be in flight. */
export interface RingShape {
  /** Queue pairs per port. */
  readonly queues: number;
  /** Descriptors per RX and per TX ring (0: no rings, e.g. in-memory ports). */
  readonly ringSize: number;
  /** Buffers in each RX pool (the peer's TX ring frees into it); Infinity when unknown. */
  readonly poolSize: number;
}

/**
 * Frames one port's rings can hold at one instant. Per queue pair: its RX ring at most
 * ring - 1 written frames (the driver leaves one descriptor to the host, RDT one behind RDH
 * when full); its TX ring at most ring - 1 queued frames, each in a buffer of the peer's RX
 * pool that the peer's RX ring does not hold, so also at most pool - (ring - 1).
 */
export function portRingCapacity(s: RingShape): number {
  const rx = Math.max(0, s.ringSize - 1);
  const tx = Math.max(0, Math.min(s.ringSize - 1, s.poolSize - rx));
  return s.queues * (rx + tx);
}

/**
 * The most frames the ledger may find in the rings: each recovery of a port loses what that
 * port's rings held, and at the final count both ports' rings may still hold some:
 * (2 + recoveries) x queues x ((ring - 1) + min(ring - 1, pool - (ring - 1))).
 */
export function inFlightAllowance(s: RingShape, recoveries: number): number {
  return (2 + recoveries) * portRingCapacity(s);
}
