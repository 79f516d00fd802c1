/*
 * The embedded model's end-to-end measurement as a TrafficReport: its generators' and sinks'
 * counters and the card model's own counts (drops by reason, frames delivered to and taken from
 * the host's rings, across power cycles too), from one `stats` reply of the control socket (one
 * reply is one instant of the model, so the numbers add up). Input is another process's JSON:
 * every field is checked and a missing one counts as 0.
 */
import type { CardCounts, LatencyPercentiles, TrafficReport } from "./port.ts";

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

/** Wire kinds that feed a port nothing but generator frames (or nothing at all). */
const GENERATOR_ONLY = ["gen", "sink", "null"];

// Every generator and sink a wire's stats hold (a duplex wire nests one of each). Returns false
// when the wire also carries frames that did not come from a generator (tap, pcap, cable...).
function endpoints(wire: Json | undefined, gens: Json[], sinks: Json[]): boolean {
  if (wire === undefined) return true;
  if (wire.kind === "gen") gens.push(wire);
  else if (wire.kind === "sink") sinks.push(wire);
  else if (wire.kind === "duplex") {
    const rx = endpoints(obj(wire, "rx"), gens, sinks);
    return endpoints(obj(wire, "tx"), gens, sinks) && rx;
  }
  return typeof wire.kind === "string" && GENERATOR_ONLY.includes(wire.kind);
}

/** A port's model counters plus those of the models its power cycles replaced. */
function modelCounts(p: Json): Json[] {
  const now = obj(p, "model");
  const before = obj(p, "beforePowerCycles");
  return [now, before].filter((m): m is Json => m !== undefined);
}

/** The card's own counts over all ports, and the frames it made that were not offered. */
function cardCounts(ports: readonly Json[]): { card: CardCounts; notOffered: number } {
  const drops: Record<string, number> = {};
  let notOffered = 0;
  let delivered = 0;
  let transmitted = 0;
  let txDropped = 0;
  let waiting = 0;
  const add = (key: string, v: number) => {
    drops[key] = (drops[key] ?? 0) + v;
  };
  for (const p of ports) {
    for (const m of modelCounts(p)) {
      const rx = obj(m, "rx");
      const tx = obj(m, "tx");
      delivered += num(rx, "delivered");
      waiting += num(rx, "waiting");
      transmitted += num(tx, "frames");
      for (const [reason, v] of Object.entries(obj(rx, "dropped") ?? {})) {
        if (typeof v !== "number" || !Number.isFinite(v)) continue;
        if (NOT_OFFERED.includes(reason)) notOffered += v;
        else add(reason, v);
      }
      for (const [reason, v] of Object.entries(obj(tx, "dropped") ?? {})) {
        if (typeof v !== "number" || !Number.isFinite(v)) continue;
        txDropped += v;
        add(`tx ${reason}`, v);
      }
    }
  }
  return { card: { drops, delivered, transmitted, txDropped, waiting }, notOffered };
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
 * Builds the report from a `stats` reply (`{ ports: [{ model, beforePowerCycles, wire: { stats
 * } }] }`), or null when the wires hold no generator or no sink (nothing was measured).
 *
 * generated = frames the generators made minus those the card refused while not receiving
 * (`notOffered`); received = frames the sinks got that left a generator (intact or corrupted);
 * lost = generated - received. Where only generators feed the ports, a frame the sink cannot
 * recognise as a generator frame (its stamp was damaged) is one that left a generator and came
 * back altered: it counts as received and corrupted. The sinks' own loss verdict is left out of
 * `sinkOk`: it also counts the frames made after the run stopped, which the forwarder's
 * accounting handles instead. The card's counts cover the whole run, power cycles included.
 */
export function trafficFromSimStats(reply: unknown): TrafficReport | null {
  const raw = isObject(reply) && Array.isArray(reply.ports) ? reply.ports : [];
  const ports = raw.filter(isObject);
  const gens: Json[] = [];
  const sinks: Json[] = [];
  let generatorOnly = true;
  for (const p of ports) {
    if (!endpoints(obj(obj(p, "wire"), "stats"), gens, sinks)) generatorOnly = false;
  }
  if (gens.length === 0 || sinks.length === 0) return null;
  const { card, notOffered } = cardCounts(ports);
  const total = (list: readonly Json[], key: string) => list.reduce((s, o) => s + num(o, key), 0);
  const generated = Math.max(0, total(gens, "sent") - notOffered);
  const altered = total(sinks, "corrupted") + (generatorOnly ? total(sinks, "otherFrames") : 0);
  const received = total(sinks, "generatorFrames") + altered;
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
    corrupted: altered,
    latencyNs: mergeLatency(sinks),
    sinkOk: reasons.length === 0,
    sinkReasons: reasons,
    notOffered,
    cardDropped: Object.values(card.drops).reduce((s, v) => s + v, 0),
    card,
  };
}
