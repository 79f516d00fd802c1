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
  });
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
