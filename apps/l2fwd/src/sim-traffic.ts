/*
 * The embedded model's end-to-end measurement as a TrafficReport: its generators' and sinks'
 * counters and the ports' drop reasons, from one `stats` reply of the control socket (one
 * reply is one instant of the model, so the numbers add up). Input is another process's JSON:
 * every field is checked and a missing one counts as 0.
 */
import type { LatencyPercentiles, TrafficReport } from "./port.ts";

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === "object" && v !== null;
const num = (o: Json | undefined, key: string): number => {
  const v = o?.[key];
  return typeof v === "number" && Number.isFinite(v) ? v : 0;
};
const obj = (o: Json | undefined, key: string): Json | undefined => {
  const v = o?.[key];
  return isObject(v) ? v : undefined;
};

/** Receive drop reasons of the model that mean "the port was not taking frames". */
const NOT_OFFERED = ["rxDisabled", "linkDown"];

// Every generator and sink a wire's stats hold (a duplex wire nests one of each).
function endpoints(wire: Json | undefined, gens: Json[], sinks: Json[]): void {
  if (wire === undefined) return;
  if (wire.kind === "gen") gens.push(wire);
  else if (wire.kind === "sink") sinks.push(wire);
  else if (wire.kind === "duplex") {
    endpoints(obj(wire, "rx"), gens, sinks);
    endpoints(obj(wire, "tx"), gens, sinks);
  }
}

// Percentiles over several sinks: the largest of each (an upper bound; the histograms
// themselves are not in the reply).
function mergeLatency(sinks: readonly Json[]): LatencyPercentiles | null {
  let out: LatencyPercentiles | null = null;
  for (const s of sinks) {
    const l = obj(s, "latencyNs");
    if (num(l, "samples") === 0) continue;
    const p = {
      p50: num(l, "p50"),
      p90: num(l, "p90"),
      p99: num(l, "p99"),
      p999: num(l, "p999"),
      max: num(l, "max"),
    };
    out =
      out === null
        ? p
        : {
            p50: Math.max(out.p50, p.p50),
            p90: Math.max(out.p90, p.p90),
            p99: Math.max(out.p99, p.p99),
            p999: Math.max(out.p999, p.p999),
            max: Math.max(out.max, p.max),
          };
  }
  return out;
}

/**
 * Builds the report from a `stats` reply (`{ ports: [{ model, wire: { stats } }] }`), or null
 * when the wires hold no generator or no sink (nothing was measured).
 *
 * generated = frames the generators made minus those the card refused while not receiving
 * (`notOffered`); received = generator frames the sinks got (intact or corrupted); lost =
 * generated - received. The sinks' own loss verdict is left out of `sinkOk`: it also counts the
 * frames made after the run stopped, which the forwarder's accounting handles instead.
 */
export function trafficFromSimStats(reply: unknown): TrafficReport | null {
  const ports = isObject(reply) && Array.isArray(reply.ports) ? reply.ports : [];
  const gens: Json[] = [];
  const sinks: Json[] = [];
  let notOffered = 0;
  let cardDropped = 0;
  for (const p of ports) {
    if (!isObject(p)) continue;
    endpoints(obj(obj(p, "wire"), "stats"), gens, sinks);
    const rxDropped = obj(obj(obj(p, "model"), "rx"), "dropped");
    for (const [reason, v] of Object.entries(rxDropped ?? {})) {
      if (typeof v !== "number") continue;
      if (NOT_OFFERED.includes(reason)) notOffered += v;
      else cardDropped += v;
    }
    const txDropped = obj(obj(obj(p, "model"), "tx"), "dropped");
    for (const v of Object.values(txDropped ?? {})) if (typeof v === "number") cardDropped += v;
  }
  if (gens.length === 0 || sinks.length === 0) return null;
  const total = (list: readonly Json[], key: string) => list.reduce((s, o) => s + num(o, key), 0);
  const generated = Math.max(0, total(gens, "sent") - notOffered);
  const received = total(sinks, "generatorFrames") + total(sinks, "corrupted");
  const reasons: string[] = [];
  for (const s of sinks) {
    const problems = Array.isArray(s.problems) ? s.problems : [];
    for (const r of problems) if (typeof r === "string" && !/ lost$/.test(r)) reasons.push(r);
  }
  return {
    generated,
    received,
    lost: Math.max(0, generated - received),
    reordered: total(sinks, "reordered"),
    duplicated: total(sinks, "duplicated"),
    corrupted: total(sinks, "corrupted"),
    latencyNs: mergeLatency(sinks),
    sinkOk: reasons.length === 0,
    sinkReasons: reasons,
    notOffered,
    cardDropped,
  };
}
