import { expect, test } from "bun:test";
import { balance, inFlightAllowance, portRingCapacity } from "../src/ledger.ts";
import type { TrafficReport } from "../src/port.ts";
import { trafficReport } from "./support/traffic.ts";

const traffic = (o: Partial<TrafficReport>): TrafficReport =>
  trafficReport({ generated: 10_000, received: 9_000, lost: 1_000, ...o });

// 10,000 offered: the card dropped 400 on receive and delivered 9,600; the forwarder took
// 9,500 (100 were in an RX ring at a reset), freed 150 on a full TX ring and queued 9,350; the
// card sent 9,000 and dropped 50 on transmit (300 were in a TX ring at the reset).
const card = {
  drops: { noDescriptor: 350, queueDisabled: 50, reset: 0, "tx dmaFault": 50 },
  delivered: 9_600,
  transmitted: 9_000,
  txDropped: 50,
  waiting: 0,
};
const forwarder = { taken: 9_500, forwarded: 9_350, dropped: 150, portRxDropped: 123 };

test("with the card's counts every lost frame has a place, to the frame", () => {
  expect(balance(traffic({ card }), forwarder)).toEqual({
    lost: 1_000,
    cardDropped: 450,
    forwarderDropped: 150,
    inRings: 100 + 300,
    inCard: 0,
    unexplained: 0,
  });
});

test("a frame lost where nothing counts it is unexplained", () => {
  // The forwarder took one frame more from a ring and neither sent nor freed it.
  const more = { ...forwarder, taken: forwarder.taken + 1 };
  expect(balance(traffic({ card }), more).unexplained).toBe(1);
  // The card sent a frame no sink received.
  expect(balance(traffic({ card, received: 8_999, lost: 1_001 }), forwarder).unexplained).toBe(1);
});

test("without a card model the ports' drop counters and the forwarder's must cover the loss", () => {
  const l = balance(traffic({ lost: 273, received: 9_727 }), forwarder);
  expect(l).toMatchObject({ cardDropped: 123, forwarderDropped: 150, inRings: 0, unexplained: 0 });
});

test("the allowance is what the rings can hold, per recovery and at the end", () => {
  // ring 512, pool 2048 (next power of two >= 2 x 512 + 32): RX 511 + TX 511 per queue pair.
  expect(portRingCapacity({ queues: 1, ringSize: 512, poolSize: 2048 })).toBe(1022);
  expect(inFlightAllowance({ queues: 1, ringSize: 512, poolSize: 2048 }, 0)).toBe(2 * 1022);
  expect(inFlightAllowance({ queues: 2, ringSize: 512, poolSize: 2048 }, 3)).toBe(5 * 2 * 1022);
  // A pool smaller than both rings bounds the TX side: its buffers not held by the RX ring.
  expect(portRingCapacity({ queues: 1, ringSize: 512, poolSize: 600 })).toBe(511 + 89);
  // No rings (in-memory ports): nothing can be in flight.
  expect(inFlightAllowance({ queues: 4, ringSize: 0, poolSize: 2048 }, 2)).toBe(0);
});
