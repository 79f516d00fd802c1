/*
 * Wire specs: the text a user gives per port ("gen:rate=1M,size=60", "cable:p1", "tap:dp0",
 * "gen+sink", ...) parsed once at the edge into a typed WireSpec. Key=value options go through
 * zod (unknown keys rejected); errors name the bad part and list every valid form.
 */
import { z } from "zod";
import { IxgbeSimError } from "../errors.ts";
import { MAX_FRAME, MIN_FRAME, parseMac } from "./frame.ts";

/** A parsed wire spec. Rates are frames/s (Infinity = max); counts Infinity = unlimited. */
export type WireSpec =
  | {
      kind: "gen";
      text: string;
      rate: number;
      size: number;
      flows: number;
      count: number;
      burst: number;
      dstMac: string | null;
      id: number | null;
    }
  | { kind: "sink"; text: string; latencyEvery: number }
  | { kind: "cable"; text: string; peer: string; slots: number }
  | { kind: "tap"; text: string; ifname: string }
  | { kind: "pcap"; text: string; file: string }
  | { kind: "pcap-in"; text: string; file: string; loop: boolean; rate: number }
  | { kind: "null"; text: string }
  | { kind: "duplex"; text: string; source: WireSpec; sink: WireSpec };

/** Every accepted form, one per line (also printed by every BAD_SPEC error). */
export const WIRE_SPEC_FORMS = [
  "gen[:rate=R,size=N,flows=N,count=N,burst=N,dst=MAC,id=N]  generated UDP frames " +
    "(R in frames/s, k/M suffix, or max; size 60..9000 bytes without CRC)",
  "sink[:latency=N]                validates transmitted generator frames (latency from 1 in N, 0 = off)",
  "cable:PORT[,slots=N]            back to back with port PORT (whose spec is cable:THIS-PORT)",
  "tap:IFNAME                      a Linux TAP device, created now and removed on close",
  "pcap:FILE                       records transmitted frames to FILE",
  "pcap-in:FILE[,loop][,rate=R]    replays FILE as inbound frames",
  "null | none                     no inbound frames, transmitted frames dropped",
  "SOURCE+SINK                     a source (gen, pcap-in) plus a sink (sink, pcap), e.g. gen+sink",
];

const KINDS = ["gen", "sink", "cable", "tap", "pcap", "pcap-in", "null", "none"];
const SOURCES = new Set(["gen", "pcap-in"]);
const SINKS = new Set(["sink", "pcap"]);

/** "1000", "10k", "1.5M", "2G" -> number; null when malformed. */
function scaled(text: string): number | null {
  const m = /^(\d+(?:\.\d+)?)([kMG]?)$/.exec(text);
  if (m === null) return null;
  const mult = m[2] === "k" ? 1e3 : m[2] === "M" ? 1e6 : m[2] === "G" ? 1e9 : 1;
  return Math.round(Number(m[1]) * mult);
}

const rate = z.string().transform((s, ctx) => {
  const v = s === "max" ? Number.POSITIVE_INFINITY : scaled(s);
  if (v === null || v <= 0) {
    ctx.addIssue({
      code: "custom",
      message: `"${s}" is not a rate; use e.g. 1000, 10k, 1.5M or max`,
    });
    return z.NEVER;
  }
  return v;
});

const int = (min: number, max: number) =>
  z.string().transform((s, ctx) => {
    const v = scaled(s);
    if (v === null || v < min || v > max) {
      ctx.addIssue({ code: "custom", message: `"${s}" must be a whole number in ${min}..${max}` });
      return z.NEVER;
    }
    return v;
  });

const mac = z.string().refine((s) => parseMac(s) !== null, "expected a MAC like 02:00:00:00:00:01");
const flag = z.literal("").transform(() => true);

const GenOptions = z
  .object({
    rate: rate.default(Number.POSITIVE_INFINITY),
    size: int(MIN_FRAME, MAX_FRAME).default(MIN_FRAME),
    flows: int(1, 65536).default(1),
    count: int(1, Number.MAX_SAFE_INTEGER).default(Number.POSITIVE_INFINITY),
    burst: int(1, 4096).default(32),
    dst: mac.optional(),
    id: int(0, 255).optional(),
  })
  .strict();
const SinkOptions = z.object({ latency: int(0, 1 << 20).default(16) }).strict();
const CableOptions = z.object({ slots: int(1, 65536).default(512) }).strict();
const ReplayOptions = z
  .object({ loop: flag.default(false), rate: rate.default(Number.POSITIVE_INFINITY) })
  .strict();

function fail(text: string, detail: string): never {
  throw new IxgbeSimError(
    "BAD_SPEC",
    `bad wire spec "${text}": ${detail}\nvalid forms:\n  ${WIRE_SPEC_FORMS.join("\n  ")}`,
  );
}

/** "a=1,b,c=x" -> { a: "1", b: "", c: "x" }; duplicate keys are an error. */
function options(text: string, part: string, list: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const item of list) {
    if (item === "") fail(text, `empty option in "${part}"`);
    const eq = item.indexOf("=");
    const key = eq < 0 ? item : item.slice(0, eq);
    if (key in out) fail(text, `option "${key}" given twice in "${part}"`);
    out[key] = eq < 0 ? "" : item.slice(eq + 1);
  }
  return out;
}

function check<T extends z.ZodType>(
  schema: T,
  raw: object,
  text: string,
  part: string,
): z.output<T> {
  const r = schema.safeParse(raw);
  if (!r.success) {
    const why = r.error.issues
      .map((i) => (i.path.length > 0 ? `${i.path.join(".")}: ${i.message}` : i.message))
      .join("; ");
    fail(text, `in "${part}": ${why}`);
  }
  return r.data;
}

/** Parses one part (no "+"). */
function parsePart(text: string, part: string): WireSpec {
  const colon = part.indexOf(":");
  const kind = colon < 0 ? part : part.slice(0, colon);
  const body = colon < 0 ? null : part.slice(colon + 1);
  if (!KINDS.includes(kind)) {
    fail(text, `unknown wire "${kind}" (known: ${KINDS.join(", ")})`);
  }
  const need = (what: string): string => {
    if (body === null || body === "" || body.startsWith(",")) fail(text, `"${kind}" needs ${what}`);
    return body;
  };
  switch (kind) {
    case "gen": {
      const o = check(
        GenOptions,
        options(text, part, body === null ? [] : body.split(",")),
        text,
        part,
      );
      return {
        kind,
        text: part,
        rate: o.rate,
        size: o.size,
        flows: o.flows,
        count: o.count,
        burst: o.burst,
        dstMac: o.dst ?? null,
        id: o.id ?? null,
      };
    }
    case "sink": {
      const o = check(
        SinkOptions,
        options(text, part, body === null ? [] : body.split(",")),
        text,
        part,
      );
      return { kind, text: part, latencyEvery: o.latency };
    }
    case "cable": {
      const [peer = "", ...rest] = need("a peer port, e.g. cable:p1").split(",");
      if (!/^[A-Za-z0-9_.-]+$/.test(peer))
        fail(text, `"${peer}" is not a port name ([A-Za-z0-9_.-]+)`);
      const o = check(CableOptions, options(text, part, rest), text, part);
      return { kind, text: part, peer, slots: o.slots };
    }
    case "tap": {
      const ifname = need("an interface name, e.g. tap:dp0");
      if (!/^[A-Za-z0-9_.-]{1,15}$/.test(ifname)) {
        fail(text, `"${ifname}" is not an interface name (1..15 of [A-Za-z0-9_.-])`);
      }
      return { kind, text: part, ifname };
    }
    case "pcap": {
      const file = need("a file, e.g. pcap:out.pcap");
      if (file.includes(",")) {
        fail(
          text,
          "pcap:FILE only records and takes no options; replay is pcap-in:FILE[,loop][,rate=R]",
        );
      }
      return { kind, text: part, file };
    }
    case "pcap-in": {
      const [file = "", ...rest] = need("a file, e.g. pcap-in:in.pcap").split(",");
      const o = check(ReplayOptions, options(text, part, rest), text, part);
      return { kind, text: part, file, loop: o.loop, rate: o.rate };
    }
    default:
      if (body !== null) fail(text, `"${kind}" takes no options`);
      return { kind: "null", text: part };
  }
}

/** Splits at a "+" that starts a known wire kind (so "+" inside file names stays). */
function splitParts(text: string): string[] {
  const parts: string[] = [];
  let from = 0;
  for (let i = text.indexOf("+"); i >= 0; i = text.indexOf("+", i + 1)) {
    const next = text.slice(i + 1);
    if (KINDS.some((k) => next.startsWith(k) && /^(:|\+|$)/.test(next.slice(k.length)))) {
      parts.push(text.slice(from, i));
      from = i + 1;
    }
  }
  parts.push(text.slice(from));
  return parts;
}

/**
 * Parses a wire spec (forms in WIRE_SPEC_FORMS). Throws IxgbeSimError BAD_SPEC naming the bad part
 * and listing the valid forms.
 */
export function parseWireSpec(text: string): WireSpec {
  const trimmed = text.trim();
  if (trimmed === "") fail(text, "empty");
  const parts = splitParts(trimmed);
  if (parts.length === 1) return parsePart(trimmed, trimmed);
  if (parts.length > 2) fail(trimmed, "at most two parts can be combined with +");
  const [a, b] = parts.map((p) => parsePart(trimmed, p)) as [WireSpec, WireSpec];
  const source = SOURCES.has(a.kind) ? a : SOURCES.has(b.kind) ? b : null;
  const sink = SINKS.has(a.kind) ? a : SINKS.has(b.kind) ? b : null;
  if (source === null || sink === null) {
    fail(
      trimmed,
      `"+" combines one source (gen, pcap-in) with one sink (sink, pcap), not ${a.kind}+${b.kind}`,
    );
  }
  return { kind: "duplex", text: trimmed, source, sink };
}
