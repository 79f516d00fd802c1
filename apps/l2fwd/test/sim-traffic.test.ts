import { expect, test } from "bun:test";
import { trafficFromSimStats } from "../src/sim-traffic.ts";

const gen = (sent: number) => ({ kind: "gen", sent });
const sink = (o: Record<string, unknown>) => ({
  kind: "sink",
  generatorFrames: 0,
  corrupted: 0,
  reordered: 0,
  duplicated: 0,
  problems: [],
  latencyNs: { samples: 0 },
  ...o,
});
const port = (wire: unknown, rx: Record<string, number> = {}, tx: Record<string, number> = {}) => ({
  model: { rx: { dropped: rx }, tx: { dropped: tx } },
  wire: { stats: wire },
});

test("both directions: not-offered frames leave generated, the rest are card drops", () => {
  const reply = {
    ports: [
      port(
        {
          kind: "duplex",
          rx: gen(1000),
          tx: sink({
            generatorFrames: 850,
            latencyNs: { samples: 10, p50: 4000, p90: 5000, p99: 9000, p999: 9000, max: 9100 },
          }),
        },
        { rxDisabled: 60, linkDown: 40, noDescriptor: 30 },
      ),
      port(
        {
          kind: "duplex",
          rx: gen(900),
          tx: sink({
            generatorFrames: 800,
            problems: ["150 lost"],
            latencyNs: { samples: 5, p50: 6000, p90: 6000, p99: 7000, p999: 7000, max: 7000 },
          }),
        },
        { rxDisabled: 50, noDescriptor: 20 },
        { dmaFault: 1 },
      ),
    ],
  };
  const t = trafficFromSimStats(reply);
  expect(t).toEqual({
    generated: 1900 - 150,
    received: 1650,
    lost: 100,
    reordered: 0,
    duplicated: 0,
    corrupted: 0,
    latencyNs: { p50: 6000, p90: 6000, p99: 9000, p999: 9000, max: 9100 },
    sinkOk: true, // "lost" is the forwarder's accounting, not the sink's verdict
    sinkReasons: [],
    notOffered: 150,
    cardDropped: 51,
    card: {
      drops: { noDescriptor: 50, "tx dmaFault": 1 },
      delivered: 0,
      transmitted: 0,
      txDropped: 1,
      waiting: 0,
    },
  });
});

test("the card's counts cover the whole run: models replaced by power cycles included", () => {
  const t = trafficFromSimStats({
    ports: [
      {
        model: {
          rx: { delivered: 70, waiting: 2, dropped: { rxDisabled: 5, queueDisabled: 3 } },
          tx: { frames: 60, dropped: { dmaFault: 0 } },
        },
        beforePowerCycles: {
          powerCycles: 1,
          rx: { delivered: 20, dropped: { linkDown: 4, reset: 6 } },
          tx: { frames: 25, dropped: { malformed: 1 } },
        },
        wire: { stats: { kind: "duplex", rx: gen(130), tx: sink({ generatorFrames: 85 }) } },
      },
    ],
  });
  expect(t?.notOffered).toBe(9);
  expect(t?.generated).toBe(121);
  expect(t?.card).toEqual({
    drops: { queueDisabled: 3, reset: 6, "tx dmaFault": 0, "tx malformed": 1 },
    delivered: 90,
    transmitted: 85,
    txDropped: 1,
    waiting: 2,
  });
  expect(t?.cardDropped).toBe(10);
});

test("where only generators feed the ports, a frame without a recognisable stamp is corrupted", () => {
  const wire = (kind: string) => ({
    kind: "duplex",
    rx: kind === "gen" ? gen(2000) : { kind },
    tx: sink({ generatorFrames: 1998, otherFrames: 1 }),
  });
  const only = trafficFromSimStats({ ports: [port(wire("gen")), port({ kind: "sink" })] });
  expect([only?.corrupted, only?.received, only?.lost]).toEqual([1, 1999, 1]);
  // A TAP or pcap replay feeds frames of its own: "other" frames are not the generators'.
  const mixed = trafficFromSimStats({ ports: [port(wire("gen")), port(wire("tap"))] });
  expect([mixed?.corrupted, mixed?.received]).toEqual([0, 2 * 1998]);
});

test("sink problems other than loss fail the sink; corrupted frames count as received", () => {
  const t = trafficFromSimStats({
    ports: [
      port({
        kind: "duplex",
        rx: gen(10),
        tx: sink({
          generatorFrames: 7,
          corrupted: 2,
          reordered: 1,
          problems: ["1 reordered", "2 corrupted"],
        }),
      }),
    ],
  });
  expect(t?.received).toBe(9);
  expect(t?.sinkOk).toBe(false);
  expect(t?.sinkReasons).toEqual(["1 reordered", "2 corrupted"]);
  expect(t?.latencyNs).toBeNull();
});

test("no generator or no sink means nothing was measured; junk input is not trusted", () => {
  expect(trafficFromSimStats({ ports: [port({ kind: "tap" }), port({ kind: "tap" })] })).toBeNull();
  expect(trafficFromSimStats({ ports: [port(gen(5))] })).toBeNull();
  expect(trafficFromSimStats(null)).toBeNull();
  expect(trafficFromSimStats({ ports: "x" })).toBeNull();
  const t = trafficFromSimStats({
    ports: [port({ kind: "duplex", rx: { kind: "gen", sent: "9" }, tx: sink({}) })],
  });
  expect(t?.generated).toBe(0);
});
