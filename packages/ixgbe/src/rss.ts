/*
 * Receive-side scaling: the Toeplitz hash the 82599 computes (datasheet §7.1.2.8.1), and the
 * programming of MRQC, the 40-byte key (RSSRK) and the 128-entry redirection table (RETA).
 */
import type { Mmio } from "@dataplane/pci";
import { IxgbeError } from "./errors.ts";
import type { RssField, RssOptions } from "./options.ts";
import * as RX from "./regs/receive.ts";
import * as R from "./regs/rss.ts";

/** The 40-byte key of the Microsoft RSS verification suite; the default key. */
export const DEFAULT_RSS_KEY: Uint8Array = Uint8Array.from([
  0x6d, 0x5a, 0x56, 0xda, 0x25, 0x5b, 0x0e, 0xc2, 0x41, 0x67, 0x25, 0x3d, 0x43, 0xa3, 0x8f, 0xb0,
  0xd0, 0xca, 0x2b, 0xcb, 0xae, 0x7b, 0x30, 0xb4, 0x77, 0xcb, 0x2d, 0xa3, 0x80, 0x30, 0xf2, 0x0c,
  0x6a, 0x42, 0xb7, 0x3b, 0xbe, 0xac, 0x01, 0xfa,
]);

/**
 * Toeplitz hash of `input` (network byte order) under `key`, as an unsigned 32-bit number.
 * For every input bit set (most significant first), XORs in the 32 key bits starting at that
 * bit's position. Inputs longer than key.length - 4 bytes see zero key bits past the end.
 */
export function toeplitz(key: Uint8Array, input: Uint8Array): number {
  let hash = 0;
  // 32-bit window of key bits starting at the current input bit position.
  let window = ((key[0] ?? 0) << 24) | ((key[1] ?? 0) << 16) | ((key[2] ?? 0) << 8) | (key[3] ?? 0);
  for (let i = 0; i < input.length; i++) {
    const b = input[i] as number;
    const next = key[i + 4] ?? 0;
    for (let j = 7; j >= 0; j--) {
      if ((b >>> j) & 1) hash ^= window;
      window = (window << 1) | ((next >>> j) & 1);
    }
  }
  return hash >>> 0;
}

/** Queue an RSS hash selects through `table` (128 entries): entry = hash & 0x7F. */
export const rssQueue = (hash: number, table: ArrayLike<number>): number =>
  table[hash & (R.RETA_ENTRIES - 1)] as number;

/** RSSRK register values for a 40-byte key: byte 4n in bits 7:0 of RSSRK(n). */
export function rssKeyWords(key: Uint8Array): Uint32Array {
  if (key.length !== 40) {
    throw new IxgbeError(
      "BAD_CONFIG",
      `RSS key is ${key.length} bytes; the 82599 takes exactly 40`,
    );
  }
  const words = new Uint32Array(R.RSSRK_COUNT);
  for (let n = 0; n < R.RSSRK_COUNT; n++) {
    const b = 4 * n;
    words[n] =
      ((key[b] as number) |
        ((key[b + 1] as number) << 8) |
        ((key[b + 2] as number) << 16) |
        ((key[b + 3] as number) << 24)) >>>
      0;
  }
  return words;
}

/** The default redirection table: entry i -> i mod queues. */
export function roundRobinTable(queues: number): number[] {
  return Array.from({ length: R.RETA_ENTRIES }, (_, i) => i % queues);
}

/** RETA register values for 128 queue numbers (each < queues, at most 16). */
export function retaWords(table: readonly number[], queues: number): Uint32Array {
  if (table.length !== R.RETA_ENTRIES) {
    throw new IxgbeError(
      "BAD_CONFIG",
      `RSS table has ${table.length} entries; it needs exactly 128`,
    );
  }
  const words = new Uint32Array(R.RETA_COUNT);
  table.forEach((q, i) => {
    if (!Number.isInteger(q) || q < 0 || q >= queues) {
      throw new IxgbeError(
        "BAD_CONFIG",
        `RSS table entry ${i} = ${q} is not an RX queue (0..${queues - 1})`,
      );
    }
    words[i >>> 2] = ((words[i >>> 2] as number) | (q << (8 * (i & 3)))) >>> 0;
  });
  return words;
}

const FIELD_BITS: Record<RssField, number> = {
  ipv4: R.MRQC_RSS_FIELD_IPV4,
  "ipv4-tcp": R.MRQC_RSS_FIELD_IPV4_TCP,
  "ipv4-udp": R.MRQC_RSS_FIELD_IPV4_UDP,
  ipv6: R.MRQC_RSS_FIELD_IPV6,
  "ipv6-tcp": R.MRQC_RSS_FIELD_IPV6_TCP,
  "ipv6-udp": R.MRQC_RSS_FIELD_IPV6_UDP,
};

/** Default hash fields: every IPv4/IPv6 variant with TCP and UDP. */
export const DEFAULT_RSS_FIELDS: readonly RssField[] = [
  "ipv4",
  "ipv4-tcp",
  "ipv4-udp",
  "ipv6",
  "ipv6-tcp",
  "ipv6-udp",
];

/** MRQC value enabling RSS over `fields`. */
export function mrqcValue(fields: readonly RssField[]): number {
  let v = R.MRQC_RSSEN;
  for (const f of fields) {
    const bit = FIELD_BITS[f];
    if (bit === undefined) throw new IxgbeError("BAD_CONFIG", `unknown RSS field "${f}"`);
    v |= bit;
  }
  return v >>> 0;
}

/** What programRss wrote, for inspection and tests. */
export interface RssSetup {
  readonly key: Uint8Array;
  readonly table: readonly number[];
  readonly mrqc: number;
}

/**
 * Programs RSS over `queues` RX queues: key, table, RXCSUM.PCSD (hash into descriptor DW1),
 * then MRQC last so the hash never runs with a half-written table. Throws BAD_CONFIG.
 */
export function programRss(mmio: Mmio, options: RssOptions, queues: number): RssSetup {
  const key = options.key ?? DEFAULT_RSS_KEY;
  const table = options.table ?? roundRobinTable(queues);
  const keyWords = rssKeyWords(key);
  const reta = retaWords(table, queues);
  const mrqc = mrqcValue(options.fields ?? DEFAULT_RSS_FIELDS);
  for (let n = 0; n < keyWords.length; n++) mmio.write32(R.RSSRK(n), keyWords[n] as number);
  for (let n = 0; n < reta.length; n++) mmio.write32(R.RETA(n), reta[n] as number);
  mmio.write32(RX.RXCSUM, mmio.read32(RX.RXCSUM) | RX.RXCSUM_PCSD);
  mmio.write32(R.MRQC, mrqc);
  return { key: Uint8Array.from(key), table: [...table], mrqc };
}

/** Turns RSS off: every frame goes to queue 0 unless other filters steer it. */
export function disableRss(mmio: Mmio): void {
  mmio.write32(R.MRQC, 0);
}
