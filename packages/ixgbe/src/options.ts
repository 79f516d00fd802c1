/*
 * Driver options and their validation. Library input, so plain checks with IxgbeError
 * BAD_CONFIG (zod is for CLI/config files at the app edge). Defaults follow ixy where it has one.
 */
import { IxgbeError } from "./errors.ts";

/** Smallest and largest accepted ring size (descriptors). */
export const MIN_RING_SIZE = 64;
/** Largest accepted ring size (descriptors). */
export const MAX_RING_SIZE = 4096;
/** RSS spreads over at most 16 queues (4-bit RETA entries); the driver caps both directions. */
export const MAX_QUEUES = 16;

/** Setup deadlines in milliseconds. */
export interface Timeouts {
  /** CTRL.RST/LRST self-clear. Default 1000. */
  readonly resetMs: number;
  /** EEC.ARD (EEPROM auto-read done). Default 1000. */
  readonly eepromMs: number;
  /** RDRXCTL.DMAIDONE. Default 1000. */
  readonly dmaInitMs: number;
  /** RXDCTL/TXDCTL.ENABLE read-back, per queue. Default 1000. */
  readonly queueMs: number;
  /** LINKS.LINK_UP. Default 10000 (as ixy). */
  readonly linkMs: number;
}

/** RSS configuration. */
export interface RssOptions {
  /** 40-byte Toeplitz key; default the well-known Microsoft verification key. */
  readonly key?: Uint8Array;
  /** 128 queue numbers, one per RETA entry; default entry i -> i mod rxQueues. */
  readonly table?: readonly number[];
  /** Hash fields; default IPv4, TCP/IPv4, UDP/IPv4, IPv6, TCP/IPv6, UDP/IPv6. */
  readonly fields?: readonly RssField[];
}

/** Which headers RSS hashes. */
export type RssField = "ipv4" | "ipv4-tcp" | "ipv4-udp" | "ipv6" | "ipv6-tcp" | "ipv6-udp";

/** Options of IxgbeDevice.open. Everything is optional. */
export interface IxgbeOptions {
  /** RX queues, 1..16. Default 1. */
  readonly rxQueues?: number;
  /** TX queues, 1..16. Default 1. */
  readonly txQueues?: number;
  /** RX ring size, power of two 64..4096. Default 512. */
  readonly rxRingSize?: number;
  /** TX ring size, power of two 64..4096. Default 512. */
  readonly txRingSize?: number;
  /** Buffers per RX queue's pool; default: 2 x ring size rounded up to whole 2 MiB pages. */
  readonly rxPoolSize?: number;
  /** Buffers per TX queue's pool; default as for RX. */
  readonly txPoolSize?: number;
  /** Accept every frame (UPE|MPE). Default true, as ixy. */
  readonly promiscuous?: boolean;
  /** Set this unicast MAC into RAL/RAH(0) instead of the EEPROM one. */
  readonly macAddress?: string;
  /** RSS across RX queues; default on when rxQueues > 1. `false` turns it off. */
  readonly rss?: RssOptions | false;
  /** RX queues that use MSI-X interrupts (VFIO back-ends only); default none (polling). */
  readonly interruptQueues?: readonly number[];
  /** EITR interval in microseconds for interrupt queues; default 10. */
  readonly interruptThrottleUs?: number;
  /** Wait for the link at open; default true. */
  readonly waitForLink?: boolean;
  /** Setup deadlines. */
  readonly timeouts?: Partial<Timeouts>;
}

/** Options with defaults applied. */
export interface ResolvedOptions {
  readonly rxQueues: number;
  readonly txQueues: number;
  readonly rxRingSize: number;
  readonly txRingSize: number;
  readonly rxPoolSize: number | undefined;
  readonly txPoolSize: number | undefined;
  readonly promiscuous: boolean;
  readonly macAddress: Uint8Array | null;
  readonly rss: RssOptions | false;
  readonly interruptQueues: readonly number[];
  readonly interruptThrottleUs: number;
  readonly waitForLink: boolean;
  readonly timeouts: Timeouts;
}

const DEFAULT_TIMEOUTS: Timeouts = {
  resetMs: 1000,
  eepromMs: 1000,
  dmaInitMs: 1000,
  queueMs: 1000,
  linkMs: 10_000,
};

const bad = (message: string): IxgbeError => new IxgbeError("BAD_CONFIG", message);

function count(name: string, v: number | undefined, dflt: number, max: number): number {
  const n = v ?? dflt;
  if (!Number.isInteger(n) || n < 1 || n > max) throw bad(`${name} = ${v} must be 1..${max}`);
  return n;
}

function ringSize(name: string, v: number | undefined): number {
  const n = v ?? 512;
  const pow2 = Number.isInteger(n) && n > 0 && (n & (n - 1)) === 0;
  if (!pow2 || n < MIN_RING_SIZE || n > MAX_RING_SIZE) {
    throw bad(
      `${name} = ${v} must be a power of two from ${MIN_RING_SIZE} to ${MAX_RING_SIZE}, e.g. 512`,
    );
  }
  return n;
}

/** Parses "aa:bb:cc:dd:ee:ff" into 6 bytes; throws BAD_CONFIG. */
export function parseMac(text: string): Uint8Array {
  const m =
    /^([0-9a-f]{2})[:-]([0-9a-f]{2})[:-]([0-9a-f]{2})[:-]([0-9a-f]{2})[:-]([0-9a-f]{2})[:-]([0-9a-f]{2})$/i.exec(
      text,
    );
  if (m === null) throw bad(`MAC address "${text}" is not of the form 02:00:00:00:00:01`);
  const bytes = Uint8Array.from(m.slice(1), (h) => Number.parseInt(h, 16));
  if ((bytes[0] as number) & 1) throw bad(`MAC address ${text} is a multicast address`);
  return bytes;
}

/** Formats 6 bytes as "aa:bb:cc:dd:ee:ff". */
export const formatMac = (mac: Uint8Array): string =>
  Array.from(mac, (b) => b.toString(16).padStart(2, "0")).join(":");

function poolSize(name: string, v: number | undefined, ring: number): number | undefined {
  if (v === undefined) return undefined;
  if (!Number.isInteger(v) || v < ring + 64 || v > 1 << 20) {
    throw bad(`${name} = ${v} must be an integer from ring size + 64 (${ring + 64}) to 1048576`);
  }
  return v;
}

function timeouts(t: Partial<Timeouts> | undefined): Timeouts {
  const out = { ...DEFAULT_TIMEOUTS, ...t };
  for (const [k, v] of Object.entries(out)) {
    if (!Number.isFinite(v) || v < 0) throw bad(`timeouts.${k} = ${v} must be >= 0 ms`);
  }
  return out;
}

/** Applies defaults and checks every option. Throws IxgbeError BAD_CONFIG naming the option. */
export function resolveOptions(o: IxgbeOptions = {}): ResolvedOptions {
  const rxQueues = count("rxQueues", o.rxQueues, 1, MAX_QUEUES);
  const txQueues = count("txQueues", o.txQueues, 1, MAX_QUEUES);
  const rxRingSize = ringSize("rxRingSize", o.rxRingSize);
  const txRingSize = ringSize("txRingSize", o.txRingSize);
  const interruptQueues = [...new Set(o.interruptQueues ?? [])];
  for (const q of interruptQueues) {
    if (!Number.isInteger(q) || q < 0 || q >= rxQueues) {
      throw bad(`interruptQueues contains ${q}; RX queues are 0..${rxQueues - 1}`);
    }
  }
  const throttle = o.interruptThrottleUs ?? 10;
  if (!Number.isFinite(throttle) || throttle < 0 || throttle > 1022) {
    throw bad(`interruptThrottleUs = ${throttle} must be 0..1022`);
  }
  return {
    rxQueues,
    txQueues,
    rxRingSize,
    txRingSize,
    rxPoolSize: poolSize("rxPoolSize", o.rxPoolSize, rxRingSize),
    txPoolSize: poolSize("txPoolSize", o.txPoolSize, txRingSize),
    promiscuous: o.promiscuous ?? true,
    macAddress: o.macAddress === undefined ? null : parseMac(o.macAddress),
    rss: o.rss === false ? false : (o.rss ?? {}),
    interruptQueues,
    interruptThrottleUs: throttle,
    waitForLink: o.waitForLink ?? true,
    timeouts: timeouts(o.timeouts),
  };
}
