/*
 * Control commands: what a line on the control socket may ask and how it is carried out. Input
 * is untrusted: every request is validated (zod; this is the control plane, never the
 * datapath), every failure becomes an error reply, and nothing a client sends can throw out of
 * handleLine().
 */
import { issueSentence } from "@dataplane/sys";
import { z } from "zod";
import type { Port } from "../model/port.ts";
import { BAR_BYTES } from "../model/register-map.ts";
import type { Wire } from "../wire/wire.ts";
import type { QueueWire } from "./queue-wire.ts";
import { portStats, wireInfo } from "./report.ts";

/** One port as the control plane sees it. */
export interface ControlledPort {
  readonly index: number;
  readonly port: Port;
  readonly wire: Wire;
  /** Replaces the model with a fresh one (cold start); clients stay connected. */
  powerCycle(): void;
  /** Frame counts of the models earlier power cycles replaced (absent: never replaced). */
  retired?(): unknown;
  /** Set when the port's wire is "queue" (inject/sent work). */
  readonly queue: QueueWire | null;
  /** Transport state: clients, bus master. */
  transport(): Record<string, unknown>;
}

/** The simulator as the control plane sees it. */
export interface ControlTarget {
  readonly ports: readonly ControlledPort[];
  /** True when device time moves only by `advance` and the datapath only by `step`. */
  readonly manualClock: boolean;
  step(count: number): void;
  advance(ms: number): void;
}

const DMA_TARGETS = ["rx-ring", "rx-buffer", "tx-ring", "tx-buffer", "tx-head-writeback"] as const;
const MALFORMED = ["zero-length", "null-address", "oversize"] as const;
const hex = z.string().regex(/^([0-9a-fA-F]{2})+$/, "expected an even number of hex digits");

const Request = z
  .object({
    id: z.union([z.string().max(64), z.number()]).optional(),
    cmd: z.string().max(32),
    port: z.int().min(0).optional(),
    args: z.record(z.string(), z.unknown()).optional(),
  })
  .strict();

type Scope = "port" | "any" | "none";
interface Command {
  readonly scope: Scope;
  readonly args: z.ZodType;
  readonly help: string;
  run(t: ControlTarget, p: ControlledPort | null, a: never): unknown;
}

/** A command about one port (the port is required). */
function cmd<S extends z.ZodType>(
  scope: "port",
  args: S,
  help: string,
  run: (t: ControlTarget, p: ControlledPort, a: z.output<S>) => unknown,
): Command {
  return { scope, args, help, run: run as Command["run"] };
}

/** A command about the simulator or, optionally, one port. */
function anyCmd<S extends z.ZodType>(
  scope: "any" | "none",
  args: S,
  help: string,
  run: (t: ControlTarget, p: ControlledPort | null, a: z.output<S>) => unknown,
): Command {
  return { scope, args, help, run: run as Command["run"] };
}

const NoArgs = z.object({}).strict();

/** Every command, in the order `help` lists them. */
export const COMMANDS: Readonly<Record<string, Command>> = {
  help: anyCmd("none", NoArgs, "this list", () => helpText()),
  "link-down": cmd("port", NoArgs, "pull the cable: link down (LSC) until link-up", (_t, p) => {
    p.port.linkDown();
    return { up: p.port.isLinkUp };
  }),
  "link-up": cmd(
    "port",
    z.object({ delayMs: z.number().min(0).max(60000).default(0) }).strict(),
    "plug the cable back: link up after delayMs (default 0)",
    (_t, p, a) => {
      p.port.linkUp(a.delayMs);
      return { up: p.port.isLinkUp };
    },
  ),
  "link-flap": cmd(
    "port",
    z.object({ ms: z.number().min(0).max(60000).default(100) }).strict(),
    "link down now, up again after ms (default 100)",
    (_t, p, a) => {
      p.port.linkDown();
      p.port.linkUp(a.ms);
      return { up: p.port.isLinkUp, upInMs: a.ms };
    },
  ),
  reset: cmd("port", NoArgs, "device reset, as CTRL.RST", (_t, p) => {
    p.port.reset();
    return { resets: p.port.stats().resets };
  }),
  "power-cycle": cmd(
    "port",
    NoArgs,
    "fresh model (counters, fault log, switches cleared); clients stay attached",
    (_t, p) => {
      p.powerCycle();
      return { resets: p.port.stats().resets };
    },
  ),
  "dma-fault": cmd(
    "port",
    z
      .object({
        count: z.int().min(1).max(1_000_000).default(1),
        targets: z.array(z.enum(DMA_TARGETS)).min(1).optional(),
      })
      .strict(),
    `the next count DMA accesses fail (targets: ${DMA_TARGETS.join(", ")}; default all)`,
    (_t, p, a) => {
      p.port.injectDmaFault(a.targets === undefined ? { count: a.count } : a);
      return { armed: a.count };
    },
  ),
  malformed: cmd(
    "port",
    z
      .object({
        kind: z.enum(MALFORMED).default("null-address"),
        direction: z.enum(["rx", "tx"]).optional(),
        queue: z.int().min(0).max(127).optional(),
        count: z.int().min(1).max(1_000_000).optional(),
      })
      .strict(),
    `the next descriptor(s) read as malformed (kind: ${MALFORMED.join(", ")}; direction rx|tx)`,
    (_t, p, a) => {
      p.port.injectMalformedDescriptor(a);
      return { armed: a.count ?? 1 };
    },
  ),
  "crc-errors": cmd(
    "port",
    z.object({ count: z.int().min(1).max(1_000_000).default(1) }).strict(),
    "the next count received frames have a bad FCS",
    (_t, p, a) => {
      p.port.injectCrcErrors(a.count);
      return { armed: a.count };
    },
  ),
  stats: anyCmd(
    "any",
    NoArgs,
    "model counters, statistics registers, wire and transport",
    (t, p) => (p === null ? { ports: t.ports.map(portStats) } : portStats(p)),
  ),
  peek: cmd(
    "port",
    z
      .object({
        offsets: z
          .array(
            z.union([
              z.int(),
              z.string().regex(/^(0x[0-9a-fA-F]+|\d+)$/, "expected 0x... or a number"),
            ]),
          )
          .min(1)
          .max(256),
      })
      .strict(),
    "BAR0 registers as the model holds them, by byte offset (no read side effects; e.g. 0x6018)",
    (_t, p, a) => peek(p.port, a.offsets),
  ),
  faults: cmd("port", NoArgs, "recent DMA faults and malformed descriptors", (_t, p) => ({
    faults: p.port.faults,
  })),
  violations: anyCmd(
    "any",
    NoArgs,
    "datasheet rules the driver broke: per rule id, section, count and first occurrence",
    (t, p) =>
      p === null
        ? { ports: t.ports.map((h) => ({ port: h.index, ...h.port.violations() })) }
        : p.port.violations(),
  ),
  wires: anyCmd("any", NoArgs, "each wire's spec and stats (sink verdict included)", (t, p) =>
    p === null ? { ports: t.ports.map(wireInfo) } : wireInfo(p),
  ),
  inject: cmd(
    "port",
    z
      .object({
        frames: z
          .array(hex.max(2 * 16384))
          .min(1)
          .max(1024),
      })
      .strict(),
    "queue wire: frames (hex, no FCS) arrive on the port",
    (_t, p, a) => {
      const q = needQueue(p);
      let accepted = 0;
      for (const f of a.frames) if (q.inject(Buffer.from(f, "hex"))) accepted++;
      return { accepted };
    },
  ),
  sent: cmd(
    "port",
    NoArgs,
    "queue wire: frames transmitted since the last call (hex)",
    (_t, p) => ({
      frames: needQueue(p)
        .drain()
        .map((f) => Buffer.from(f.buffer, f.byteOffset, f.length).toString("hex")),
    }),
  ),
  step: anyCmd(
    "none",
    z.object({ count: z.int().min(1).max(100_000).default(1) }).strict(),
    "manual clock: run the device loop count times, 1 us apart",
    (t, _p, a) => {
      needManual(t);
      t.step(a.count);
      return { steps: a.count };
    },
  ),
  advance: anyCmd(
    "none",
    z.object({ ms: z.number().min(0).max(3_600_000) }).strict(),
    "manual clock: let ms of device time pass",
    (t, _p, a) => {
      needManual(t);
      t.advance(a.ms);
      return { ms: a.ms };
    },
  ),
};

class CommandError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

function needQueue(p: ControlledPort): QueueWire {
  if (p.queue === null) {
    throw new CommandError(
      "NOT_QUEUE_WIRE",
      `port ${p.index} has wire "${p.wire.spec}"; inject and sent need --wire queue`,
    );
  }
  return p.queue;
}

function needManual(t: ControlTarget): void {
  if (!t.manualClock) {
    throw new CommandError(
      "NOT_MANUAL_CLOCK",
      "step and advance need a simulator started with --manual-clock",
    );
  }
}

/** Stored BAR0 words at the given byte offsets, keyed by their hex offset. */
function peek(port: Port, offsets: readonly (number | string)[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const o of offsets) {
    const offset = typeof o === "number" ? o : Number(o);
    if (!Number.isInteger(offset) || offset < 0 || offset >= BAR_BYTES || (offset & 3) !== 0) {
      throw new CommandError(
        "BAD_OFFSET",
        `offset ${o} is not a register: give a multiple of 4 below 0x${BAR_BYTES.toString(16)}`,
      );
    }
    const key = `0x${offset.toString(16).padStart(5, "0")}`;
    out[key] = `0x${(port.bar[offset >>> 2] as number).toString(16).padStart(8, "0")}`;
  }
  return out;
}

function helpText(): { commands: { name: string; port: string; help: string }[] } {
  const port = { port: "required", any: "optional (all ports without)", none: "not used" };
  return {
    commands: Object.entries(COMMANDS).map(([name, c]) => ({
      name,
      port: port[c.scope],
      help: c.help,
    })),
  };
}

function fail(id: unknown, code: string, message: string): string {
  return JSON.stringify({
    ...(id === undefined ? {} : { id }),
    ok: false,
    error: { code, message },
  });
}

/** Answers one request line; never throws. */
export function handleLine(t: ControlTarget, line: string): string {
  let raw: unknown;
  try {
    raw = JSON.parse(line);
  } catch {
    return fail(undefined, "BAD_JSON", `not JSON: ${line.slice(0, 80)}`);
  }
  const req = Request.safeParse(raw);
  if (!req.success) return fail(undefined, "BAD_REQUEST", issueSentence(req.error.issues));
  const { id, cmd: name, port, args } = req.data;
  const c = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (c === undefined) {
    return fail(
      id,
      "UNKNOWN_COMMAND",
      `unknown command "${name}"; known: ${Object.keys(COMMANDS).join(", ")}`,
    );
  }
  if (c.scope === "port" && port === undefined) return fail(id, "NO_PORT", `${name} needs a port`);
  const p = port === undefined || c.scope === "none" ? null : (t.ports[port] ?? null);
  if (port !== undefined && c.scope !== "none" && p === null) {
    return fail(id, "NO_PORT", `port ${port} does not exist; ports are 0..${t.ports.length - 1}`);
  }
  const a = c.args.safeParse(args ?? {});
  if (!a.success) return fail(id, "BAD_ARGS", `${name}: ${issueSentence(a.error.issues)}`);
  try {
    const result = c.run(t, p, a.data as never);
    return JSON.stringify({ ...(id === undefined ? {} : { id }), ok: true, result });
  } catch (e) {
    const code = e instanceof CommandError ? e.code : "FAILED";
    return fail(id, code, `${name}: ${(e as Error).message}`);
  }
}
