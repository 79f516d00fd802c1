/*
 * The register file as data: for every 32-bit word of BAR0, what kind of register sits there
 * (plain storage, read-only, clear-on-read counter, a register with side effects), its
 * argument (queue number, counter index) and, for the 82598-style aliases, the primary word
 * both addresses decode onto (fact sheet §2.0). Built once; shared by all ports.
 */
import * as R from "@dataplane/ixgbe/regs";
import { ESDP, I2CCTL } from "./sfp-module.ts";
import { STAT_REGISTERS, ZERO_STAT_OFFSETS } from "./stats.ts";

/** BAR0 size in bytes (512 KiB, as on X520 cards). */
export const BAR_BYTES = 0x80000;
/** BAR0 size in 32-bit words. */
export const BAR_WORDS = BAR_BYTES >>> 2;
/** Queues per direction. */
export const QUEUES = 128;

/**
 * PBACL(n), MSI-X pending bit clear (RW1C): n = 0 sits at 0x11068, n = 1..7 at 0x110C0 + 4n
 * (Linux ixgbe_type.h IXGBE_PBACL). Kept here rather than taken from the driver's map, which
 * puts PBACL(0) at 0x110C0.
 */
export const PBACL = (n: number): number => (n === 0 ? 0x11068 : 0x110c0 + 4 * n);

/** ANLP1 (0x042B0, RO): bits 19:16 show the backplane autonegotiation arbitration state. */
export const ANLP1 = 0x042b0;
/** FDIRCTRL (0x0EE00): Flow Director control; PBALLOC (bits 1:0) sizes its table. */
export const FDIRCTRL = 0x0ee00;
/** FDIRCTRL.PBALLOC (bits 1:0): 0 = Flow Director off, else its packet buffer share. */
export const FDIRCTRL_PBALLOC_MASK = 0x3;
/** FDIRCTRL.INIT_DONE (bit 3, RO): the table is initialised (drivers poll it after a write). */
export const FDIRCTRL_INIT_DONE = 1 << 3;

/** Register kinds (the dispatch key of mmioRead/mmioWrite). */
export const K = {
  PLAIN: 0,
  RO: 1,
  STAT: 2,
  CTRL: 3,
  STATUS: 4,
  EICR: 5,
  EICS: 6,
  EIMS: 7,
  EIMC: 8,
  EICS_EX: 9,
  EIMS_EX: 10,
  EIMC_EX: 11,
  AUTOC: 12,
  LINKS: 13,
  SWSM: 14,
  EERD: 15,
  EEC: 16,
  RDRXCTL: 17,
  RXDCTL: 18,
  TXDCTL: 19,
  RDH: 20,
  TDH: 21,
  RSSRK: 22,
  RAR: 23,
  WO: 24,
  PFQDE: 25,
  RXCTRL: 26,
  SECRXCTRL: 27,
  MTQC: 28,
  I2CCTL: 29,
  ESDP: 30,
  FDIRCTRL: 31,
} as const;

/** Kind per word. */
export const KIND = new Uint8Array(BAR_WORDS);
/** Argument per word: queue number, vector-register half, or STAT_REGISTERS index. */
export const ARG = new Int32Array(BAR_WORDS);
/** Primary word per word (identity except for alias addresses). */
export const PRIMARY = new Int32Array(BAR_WORDS);
/** For a primary word with an alias: the alias word; for an alias: its primary; else -1. */
export const PARTNER = new Int32Array(BAR_WORDS).fill(-1);

function mark(offset: number, kind: number, arg = 0): void {
  KIND[offset >>> 2] = kind;
  ARG[offset >>> 2] = arg;
}

function alias(primaryOffset: number, aliasOffset: number): void {
  const p = primaryOffset >>> 2;
  const a = aliasOffset >>> 2;
  PRIMARY[a] = p;
  PARTNER[p] = a;
  PARTNER[a] = p;
  KIND[a] = KIND[p];
  ARG[a] = ARG[p];
}

function build(): void {
  for (let w = 0; w < BAR_WORDS; w++) PRIMARY[w] = w;
  mark(R.CTRL, K.CTRL);
  mark(R.STATUS, K.STATUS);
  mark(R.EICR, K.EICR);
  mark(R.EICS, K.EICS, -1);
  mark(R.EIMS, K.EIMS, -1);
  mark(R.EIMC, K.EIMC, -1);
  for (let n = 0; n < 2; n++) {
    mark(R.EICS_EX(n), K.EICS_EX, n);
    mark(R.EIMS_EX(n), K.EIMS_EX, n);
    mark(R.EIMC_EX(n), K.EIMC_EX, n);
  }
  for (let n = 0; n < 8; n++) mark(PBACL(n), K.WO);
  mark(R.AUTOC, K.AUTOC);
  mark(R.LINKS, K.LINKS);
  mark(R.SWSM, K.SWSM);
  mark(R.EERD, K.EERD);
  mark(R.EEC, K.EEC);
  mark(I2CCTL, K.I2CCTL);
  mark(ESDP, K.ESDP);
  mark(ANLP1, K.RO);
  mark(FDIRCTRL, K.FDIRCTRL);
  mark(R.FWSM, K.RO);
  mark(R.SECRXSTAT, K.RO);
  mark(R.SECTXSTAT, K.RO);
  mark(R.RDRXCTL, K.RDRXCTL);
  mark(R.RXCTRL, K.RXCTRL);
  mark(R.SECRXCTRL, K.SECRXCTRL);
  mark(R.MTQC, K.MTQC);
  mark(R.PFQDE, K.PFQDE);
  for (let q = 0; q < QUEUES; q++) {
    mark(R.RXDCTL(q), K.RXDCTL, q);
    mark(R.TXDCTL(q), K.TXDCTL, q);
    mark(R.RDH(q), K.RDH, q);
    mark(R.TDH(q), K.TDH, q);
  }
  for (let n = 0; n < R.RSSRK_COUNT; n++) mark(R.RSSRK(n), K.RSSRK);
  for (let n = 0; n < R.RAR_COUNT; n++) {
    mark(R.RAL(n), K.RAR);
    mark(R.RAH(n), K.RAR);
  }
  for (const off of ZERO_STAT_OFFSETS) mark(off, K.RO);
  STAT_REGISTERS.forEach((reg, i) => {
    mark(reg.offset, K.STAT, i);
  });
  // 82598-compatible addresses decode onto the 82599 registers.
  for (let n = 0; n < 16; n++) {
    alias(R.SRRCTL(n), R.SRRCTL_ALIAS(n));
    alias(R.DCA_RXCTRL(n), R.DCA_RXCTRL_ALIAS(n));
    alias(R.RAL(n), R.RAL_ALIAS(n));
    alias(R.RAH(n), R.RAH_ALIAS(n));
  }
  alias(R.MRQC, R.MRQC_ALIAS);
  for (let n = 0; n < R.RETA_COUNT; n++) alias(R.RETA(n), R.RETA_ALIAS(n));
  for (let n = 0; n < R.RSSRK_COUNT; n++) alias(R.RSSRK(n), R.RSSRK_ALIAS(n));
}

build();

/** A byte range [start, end) of BAR0 that the client maps and writes without trapping. */
export interface MappedRange {
  /** First byte offset (multiple of 4). */
  readonly start: number;
  /** One past the last byte offset. */
  readonly end: number;
}

/** Nothing mapped: every access is trapped (mmioRead/mmioWrite). */
export const MAPPED_NONE: readonly MappedRange[] = [];
/** vfio-user: the RX/TX queue register pages are mapped, everything else is trapped. */
export const MAPPED_QUEUE_PAGES: readonly MappedRange[] = [
  { start: 0x01000, end: 0x02000 },
  { start: 0x06000, end: 0x08000 },
  { start: 0x0d000, end: 0x0e000 },
];
/** sysfs-style resource0: the whole BAR is shared memory. */
export const MAPPED_ALL: readonly MappedRange[] = [{ start: 0, end: BAR_BYTES }];

/**
 * Words the model must watch in mapped memory (side effects, aliases, read-only words to
 * restore) and stat words it must publish there, for a set of mapped ranges.
 */
export function mappedWords(ranges: readonly MappedRange[]): {
  watch: Int32Array;
  publish: Int32Array;
} {
  const watch: number[] = [];
  const publish: number[] = [];
  for (const r of ranges) {
    for (let w = r.start >>> 2; w < r.end >>> 2 && w < BAR_WORDS; w++) {
      const kind = KIND[w];
      if (kind === K.STAT) publish.push(w);
      else if (kind !== K.PLAIN || PARTNER[w] >= 0) watch.push(w);
    }
  }
  return { watch: Int32Array.from(watch), publish: Int32Array.from(publish) };
}
