/*
 * The forwarder's configuration: one zod schema shared by command-line flags and config files
 * (unknown keys rejected, every message names the key and the valid range), and the step that
 * fills in defaults which depend on other keys (duration, the embedded model's wires).
 */
import { z } from "zod";

/** Wire kinds the embedded model accepts in `sim.wires` (see @dataplane/ixgbe-sim). */
export const WIRE_KINDS = [
  "gen",
  "sink",
  "cable",
  "tap",
  "pcap",
  "pcap-in",
  "null",
  "none",
] as const;
const NEEDS_ARGUMENT: Readonly<Record<string, string>> = {
  tap: "tap:IF",
  pcap: "pcap:FILE",
  "pcap-in": "pcap-in:FILE",
};
/** Wires of the embedded model when none are given: both ports generate and validate. */
export const DEFAULT_WIRES = ["gen+sink", "gen+sink"] as const;
/**
 * Frames per second of each generator when sim.rate is not given: half of what the forwarder
 * (a Worker) and the model sustained on a loaded 2-core machine, so the default run forwards
 * (nearly) every frame; README "Default rate" says how it was measured. Use --sim-rate max to
 * saturate.
 */
export const DEFAULT_SIM_RATE = "100k";
/** Duration in seconds when running the embedded model and none is given. */
export const DEFAULT_SIM_DURATION = 10;

const PCI_ADDRESS = /^(?:[0-9a-fA-F]{4}:)?[0-9a-fA-F]{2}:[0-9a-fA-F]{2}\.[0-7]$/;

const show = (v: unknown): string => (typeof v === "string" ? JSON.stringify(v) : String(v));

function intIn(key: string, min: number, max: number) {
  const error = (iss: { input?: unknown }) =>
    `${key} must be an integer from ${min} to ${max}, got ${show(iss.input)}`;
  return z.int({ error }).min(min, { error }).max(max, { error });
}

function numberIn(key: string, min: number, max: number, unit: string) {
  const error = (iss: { input?: unknown }) =>
    `${key} must be a number of ${unit} from ${min} to ${max}, got ${show(iss.input)}`;
  return z.number({ error }).min(min, { error }).max(max, { error });
}

function isPowerOfTwo(n: number): boolean {
  return Number.isInteger(n) && n > 0 && (n & (n - 1)) === 0;
}

const ringError = (iss: { input?: unknown }) =>
  `ringSize must be a power of two from 64 to 4096 (64, 128, ..., 4096), got ${show(iss.input)}`;
const RingSize = z
  .int({ error: ringError })
  .min(64, { error: ringError })
  .max(4096, { error: ringError })
  .refine(isPowerOfTwo, { error: ringError });

/** A device spec: a PCI address, `vfio-user:<socket>` or `sysfs:<dir>`. */
export const DeviceSpec = z
  .string()
  .refine((s) => PCI_ADDRESS.test(s) || /^vfio-user:.+/.test(s) || /^sysfs:.+/.test(s), {
    error: (iss) =>
      `device ${show(iss.input)} is not a device spec; use a PCI address (0000:03:00.0), vfio-user:<socket> or sysfs:<dir>`,
  });

/** Checks one port's wire spec, e.g. "gen+sink" or "gen:rate=1M,size=60+sink"; returns an error or null. */
export function checkWireSpec(spec: string): string | null {
  if (spec.length === 0) return "a wire spec is empty";
  for (const term of spec.split("+")) {
    const colon = term.indexOf(":");
    const kind = colon < 0 ? term : term.slice(0, colon);
    if (!(WIRE_KINDS as readonly string[]).includes(kind)) {
      return `wire ${show(term)} in ${show(spec)} has unknown kind ${show(kind)}; valid kinds: ${WIRE_KINDS.join(", ")} (join two with +, e.g. gen+sink)`;
    }
    const form = NEEDS_ARGUMENT[kind];
    if (form && (colon < 0 || colon === term.length - 1)) {
      return `wire ${show(term)} needs an argument: ${form}`;
    }
  }
  return null;
}

const WireSpec = z.string().superRefine((s, ctx) => {
  const problem = checkWireSpec(s);
  if (problem) ctx.addIssue({ code: "custom", message: `sim.wires: ${problem}` });
});

const rateError = (iss: { input?: unknown }) =>
  `sim.rate must be frames per second (a positive number, with an optional k or M suffix) or "max", got ${show(iss.input)}`;

/** Options of the embedded ixgbe-sim model (only used when no devices are given). */
export const SimOptions = z
  .object({
    wires: z
      .array(WireSpec)
      .length(2, {
        error: (iss) =>
          `sim.wires needs one wire spec per port (2), got ${(iss.input as unknown[]).length}`,
      })
      .optional(),
    rate: z
      .union(
        [
          z.number().positive({ error: rateError }),
          z.string().regex(/^(max|\d+(\.\d+)?[kM]?)$/, { error: rateError }),
        ],
        { error: rateError },
      )
      .optional(),
    size: intIn("sim.size (frame bytes without CRC)", 60, 9000).optional(),
    flows: intIn("sim.flows", 1, 65536).optional(),
    processPerPort: z.boolean().optional(),
  })
  .strict();

/** Every key a config file (or the flags) may set. */
export const ConfigSchema = z
  .object({
    devices: z
      .array(DeviceSpec)
      .refine((d) => d.length === 0 || d.length === 2, {
        error: (iss) =>
          `devices: give two devices to forward between (or none for the embedded model), got ${(iss.input as unknown[]).length}`,
      })
      .default([]),
    batch: intIn("batch", 1, 512).default(32),
    ringSize: RingSize.default(512),
    queues: intIn("queues", 1, 16).default(1),
    mode: z
      .enum(["touch", "mac", "pass"], {
        error: (iss) => `mode must be "touch", "mac" or "pass", got ${show(iss.input)}`,
      })
      .default("touch"),
    duration: numberIn("duration", 0, 31_536_000, "seconds (0 = until Ctrl-C)").optional(),
    interval: numberIn("interval", 0.1, 3600, "seconds").default(1),
    json: z.boolean().default(false),
    quiet: z.boolean().default(false),
    promisc: z.boolean().default(true),
    workers: z
      .enum(["auto", "on", "off"], {
        error: (iss) => `workers must be "auto", "on" or "off", got ${show(iss.input)}`,
      })
      .default("auto"),
    pin: z.boolean().default(false),
    sim: SimOptions.default({}),
  })
  .strict();

/** Config as parsed, before defaults that depend on other keys. */
export type ParsedConfig = z.output<typeof ConfigSchema>;

/** The complete, validated configuration the forwarder runs with. */
export interface L2fwdConfig extends Omit<ParsedConfig, "duration" | "sim"> {
  /** Seconds to forward; 0 = until Ctrl-C/SIGTERM. */
  readonly duration: number;
  /** Whether to start the embedded model (no devices given). */
  readonly embedded: boolean;
  readonly sim: {
    /** Final wire spec per port, rate/size/flows folded into bare `gen` terms. */
    readonly wires: readonly [string, string];
    /** One model process per port (ixgbe-sim --process-per-port). */
    readonly processPerPort: boolean;
  };
}

/**
 * A bare `cable` on port `i` gets its peer: the other port when that port's wire is a cable too
 * (the two ports back to back), else port `i` itself (a loopback plug: the port receives what
 * it sends). ixgbe-sim wants the peer named (cable:pN) on both ends.
 */
function peerCable(spec: string, i: number, wires: readonly string[]): string {
  if (spec !== "cable") return spec;
  const other = 1 - i;
  const o = wires[other];
  return o === "cable" || o === `cable:p${i}` ? `cable:p${other}` : `cable:p${i}`;
}

/**
 * Fills in what depends on other keys: duration (10 s with the embedded model, else until
 * Ctrl-C) and the wires, where a bare `gen` gets sim.rate (default DEFAULT_SIM_RATE), size
 * and flows. Returns an error
 * message instead when sim options are combined with devices.
 */
export function resolveConfig(p: ParsedConfig): L2fwdConfig | string {
  const embedded = p.devices.length === 0;
  const simKeys = Object.keys(p.sim).filter((k) => p.sim[k as keyof typeof p.sim] !== undefined);
  if (!embedded && simKeys.length > 0) {
    return `sim.${simKeys[0]} applies only to the embedded model; omit the devices or the sim options`;
  }
  const genOptions = [
    `rate=${p.sim.rate ?? DEFAULT_SIM_RATE}`,
    p.sim.size === undefined ? "" : `size=${p.sim.size}`,
    p.sim.flows === undefined ? "" : `flows=${p.sim.flows}`,
  ].filter((s) => s !== "");
  const expand = (spec: string): string =>
    spec
      .split("+")
      .map((t) => (t === "gen" ? `gen:${genOptions.join(",")}` : t))
      .join("+");
  const given = p.sim.wires ?? DEFAULT_WIRES;
  const wires = given.map((spec, i) => expand(peerCable(spec, i, given))) as [string, string];
  if (p.sim.processPerPort === true && wires.some((w) => w.startsWith("cable"))) {
    return "sim.processPerPort cannot serve cable wires (both ends of a cable share one model process); use gen, sink, tap or pcap wires, or drop --sim-process-per-port";
  }
  const { sim: _sim, duration, ...rest } = p;
  return {
    ...rest,
    duration: duration ?? (embedded ? DEFAULT_SIM_DURATION : 0),
    embedded,
    sim: { wires, processPerPort: p.sim.processPerPort ?? false },
  };
}

/** Splits a `--sim-wire` value into per-port specs: at commas that start a new wire kind. */
export function splitWireList(text: string): string[] {
  const kinds = WIRE_KINDS.map((k) => k.replace("-", "\\-")).join("|");
  return text.split(new RegExp(`,(?=(?:${kinds})(?:[:+,]|$))`));
}
