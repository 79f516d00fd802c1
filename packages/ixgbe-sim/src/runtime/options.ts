/*
 * Simulator options, validated once at the edge (CLI flags or startSim's object) with zod:
 * unknown keys rejected, defaults filled in, wire specs parsed so a typo fails before anything
 * is created. The result is what Sim is built from.
 */
import { z } from "zod";
import { QUEUE_WIRE_SPEC } from "../control/queue-wire.ts";
import { RESET_TIMING_DEFAULT } from "../model/reset-timing.ts";
import type { Strictness } from "../model/rules.ts";
import { parseWireSpec } from "../wire/spec.ts";

/** Most ports one process serves (four dual-port cards). */
export const MAX_PORTS = 8;
/** Default directory of the sockets. */
export const DEFAULT_SOCKET_DIR = "/run/ixgbe-sim";

const WIRE_KINDS = [
  "gen",
  "sink",
  "cable",
  "tap",
  "pcap-in",
  "pcap",
  "null",
  "none",
  QUEUE_WIRE_SPEC,
];

/**
 * Splits a list of wire specs: at ";" always, and at "," when a new spec starts there (a known
 * wire kind followed by ":", "+", "," or the end), so "gen:rate=1M,size=64,sink" is two specs
 * while the options of the first stay together.
 */
export function splitWireList(text: string): string[] {
  const out: string[] = [];
  let from = 0;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (ch !== ";" && ch !== ",") continue;
    const rest = text.slice(i + 1);
    const startsSpec = WIRE_KINDS.some(
      (k) => rest.startsWith(k) && /^([:+,;]|$)/.test(rest.slice(k.length)),
    );
    if (ch === ";" || startsSpec) {
      out.push(text.slice(from, i));
      from = i + 1;
    }
  }
  out.push(text.slice(from));
  return out.map((s) => s.trim()).filter((s) => s !== "");
}

const MAC = /^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}$/;

const WireText = z.string().superRefine((s, ctx) => {
  if (s === QUEUE_WIRE_SPEC) return;
  try {
    parseWireSpec(s);
  } catch (e) {
    ctx.addIssue({ code: "custom", message: (e as Error).message });
  }
});

/** Options of one simulator process. */
export const SimOptionsSchema = z
  .object({
    /** Number of ports (1..8); port N is function N % 2 of card N / 2. */
    ports: z.int().min(1).max(MAX_PORTS),
    /** One wire spec per port (a single spec applies to every port). */
    wires: z.array(WireText).min(1),
    /** Where p<N>.sock and control.sock go. */
    socketDir: z.string().min(1).default(DEFAULT_SOCKET_DIR),
    /** Parent directory for sysfs-style device directories, or null for none. */
    sysfs: z.string().min(1).nullable().default(null),
    /** Link comes up this long after an AN restart (lenient: also after a reset). */
    linkDelayMs: z.number().min(0).max(60_000).default(10),
    /** CPU to pin the device loop to, or null. */
    pin: z.int().min(0).max(4095).nullable().default(null),
    /** Per-port MAC addresses (default 02:00:00:82:59:9N). */
    macs: z
      .array(z.string().regex(MAC, "expected a MAC like 02:00:00:00:00:01"))
      .nullable()
      .default(null),
    /** Queues per direction per port. */
    queues: z.int().min(1).max(128).default(128),
    /** Device time moves only on `advance`, the datapath only on `step` (deterministic tests). */
    manualClock: z.boolean().default(false),
    /** Exit when the parent process dies. */
    exitWithParent: z.boolean().default(false),
    /**
     * The socket directory is this simulator's to remove when it stops (once empty), even
     * though it already existed: startSim makes it with mkdtemp and, should its own process be
     * killed, only the simulator is left to remove it.
     */
    ownSocketDir: z.boolean().default(false),
    /**
     * One process per port, each with its own device loop, so the ports' datapaths run on
     * different cores (front.ts). Not with cable wires (both ends share one loop) or a manual
     * clock (one clock for every port).
     */
    processPerPort: z.boolean().default(false),
    /**
     * The first port's number: sockets p<N>.sock, PCI addresses, default MACs and log lines
     * count from here. Set by the --process-per-port front for each of its port processes.
     */
    portBase: z
      .int()
      .min(0)
      .max(MAX_PORTS - 1)
      .default(0),
    /** Control socket path (default <socketDir>/control.sock). */
    controlSocket: z.string().min(1).nullable().default(null),
    /** Judge nothing: the older permissive model (instant reset, link up by itself). */
    lenient: z.boolean().default(false),
    /** Stop a port's datapath at its first violation of a datasheet rule. */
    strictFatal: z.boolean().default(false),
    /** CTRL.RST takes this long (strict modes), ms. */
    resetMs: z.number().min(0).max(1000).default(RESET_TIMING_DEFAULT.resetMs),
    /** EEC.ARD rises this long after CTRL.RST, ms. */
    autoReadMs: z.number().min(0).max(1000).default(RESET_TIMING_DEFAULT.autoReadMs),
    /** RDRXCTL.DMAIDONE rises this long after CTRL.RST, ms. */
    dmaInitMs: z.number().min(0).max(1000).default(RESET_TIMING_DEFAULT.dmaInitMs),
  })
  .strict()
  .superRefine((o, ctx) => {
    if (o.lenient && o.strictFatal) {
      ctx.addIssue({
        code: "custom",
        path: ["strictFatal"],
        message: "--lenient and --strict-fatal contradict each other: give one of them",
      });
    }
    if (o.wires.length !== 1 && o.wires.length !== o.ports) {
      ctx.addIssue({
        code: "custom",
        path: ["wires"],
        message: `${o.wires.length} wire specs for ${o.ports} ports: give one per port, or one for all`,
      });
    }
    // Only for a valid count: an out-of-range one has its own message.
    if (o.ports <= MAX_PORTS && o.portBase + o.ports > MAX_PORTS) {
      ctx.addIssue({
        code: "custom",
        path: ["portBase"],
        message: `ports ${o.portBase}..${o.portBase + o.ports - 1} go past port ${MAX_PORTS - 1}: lower the port base or the port count`,
      });
    }
    if (o.processPerPort && o.manualClock) {
      ctx.addIssue({
        code: "custom",
        path: ["processPerPort"],
        message:
          "does not go with --manual-clock (one clock would have to drive every process): give one of them",
      });
    }
    if (o.processPerPort && o.wires.some((w) => w.trim().startsWith("cable"))) {
      ctx.addIssue({
        code: "custom",
        path: ["processPerPort"],
        message:
          "cannot serve cable wires (both ends of a cable share one device loop): use gen, sink, tap, pcap or queue wires, or drop --process-per-port",
      });
    }
    if (o.macs !== null && o.macs.length !== o.ports) {
      ctx.addIssue({
        code: "custom",
        path: ["macs"],
        message: `${o.macs.length} MACs for ${o.ports} ports: give one per port`,
      });
    }
  });

/** Options as given (defaults optional). */
export type SimOptionsInput = z.input<typeof SimOptionsSchema>;
/** Options after validation. */
export type SimOptions = z.output<typeof SimOptionsSchema>;

/** Wire spec of port `i`. */
export function wireOf(o: SimOptions, i: number): string {
  return (o.wires.length === 1 ? o.wires[0] : o.wires[i]) as string;
}

/** MAC of the process's `i`-th port (port number portBase + i). */
export function macOf(o: SimOptions, i: number): string {
  return o.macs?.[i] ?? `02:00:00:82:59:${(0x90 + o.portBase + i).toString(16)}`;
}

/** The control socket's path. */
export function controlPathOf(o: SimOptions): string {
  return o.controlSocket ?? `${o.socketDir}/control.sock`;
}

/** How strictly the ports judge their driver. */
export function strictnessOf(o: SimOptions): Strictness {
  return o.lenient ? "lenient" : o.strictFatal ? "fatal" : "strict";
}
