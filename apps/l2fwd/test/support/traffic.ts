/* A TrafficReport for unit tests: 1,000 frames generated and received, nothing wrong. */
import type { TrafficReport } from "../../src/port.ts";

export const trafficReport = (o: Partial<TrafficReport> = {}): TrafficReport => ({
  generated: 1000,
  received: 1000,
  lost: 0,
  reordered: 0,
  duplicated: 0,
  corrupted: 0,
  latencyNs: null,
  sinkOk: true,
  sinkReasons: [],
  ...o,
});
