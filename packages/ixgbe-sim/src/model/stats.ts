/*
 * Statistics registers with the card's widths and read semantics (82599 datasheet §8.2.3.23).
 * The datapath adds to wide accumulators (Float64Array, exact to 2^53); a trapped read of a
 * 32-bit counter returns it modulo 2^32 and clears it (RC). Octet counters are 36 bits: reading
 * the L register returns bits 31:0, latches bits 35:32 for the H register and clears the
 * counter; reading H returns the latch and clears it.
 */
import * as R from "@dataplane/ixgbe/regs";

/** Counter ids: indexes into `Counters.acc`. Per-slot and per-buffer ids are base + index. */
export const S = {
  CRCERRS: 0,
  RLEC: 1,
  RUC: 2,
  ROC: 3,
  GPRC: 4,
  BPRC: 5,
  MPRC: 6,
  GPTC: 7,
  GORC: 8,
  GOTC: 9,
  TOR: 10,
  TPR: 11,
  TPT: 12,
  MPTC: 13,
  BPTC: 14,
  PRC64: 15, // PRC64, 127, 255, 511, 1023, 1522 at 15..20
  PTC64: 21, // PTC64 .. PTC1522 at 21..26
  MPC: 27, // MPC(0..7) at 27..34
  RNBC: 35, // RNBC(0..7) at 35..42
  RXNFGPC: 43,
  RXNFGBC: 44,
  RXDGPC: 45,
  RXDGBC: 46,
  TXDGPC: 47,
  TXDGBC: 48,
  QPRC: 49, // slots 0..15
  QPRDC: 65,
  QBRC: 81,
  QPTC: 97,
  QBTC: 113,
  COUNT: 129,
} as const;

const TWO_32 = 4294967296;
const TWO_36 = 68719476736;

/** One statistics register: which counter it shows and which half. */
export interface StatRegister {
  /** Byte offset in BAR0. */
  readonly offset: number;
  /** Counter id (S.*). */
  readonly id: number;
  /** 0: the whole 32-bit counter or the L half of a 36-bit one; 1: the H half. */
  readonly half: 0 | 1;
  /** True for 36-bit octet counters (L/H pairs). */
  readonly wide: boolean;
  /** Datasheet name, for stats() and error messages. */
  readonly name: string;
}

function buildTable(): StatRegister[] {
  const t: StatRegister[] = [];
  const one = (name: string, offset: number, id: number) =>
    t.push({ offset, id, half: 0, wide: false, name });
  const pair = (name: string, lo: number, hi: number, id: number) => {
    t.push({ offset: lo, id, half: 0, wide: true, name: `${name}L` });
    t.push({ offset: hi, id, half: 1, wide: true, name: `${name}H` });
  };
  one("CRCERRS", R.CRCERRS, S.CRCERRS);
  one("RLEC", R.RLEC, S.RLEC);
  one("RUC", R.RUC, S.RUC);
  one("ROC", R.ROC, S.ROC);
  one("GPRC", R.GPRC, S.GPRC);
  one("BPRC", R.BPRC, S.BPRC);
  one("MPRC", R.MPRC, S.MPRC);
  one("GPTC", R.GPTC, S.GPTC);
  pair("GORC", R.GORCL, R.GORCH, S.GORC);
  pair("GOTC", R.GOTCL, R.GOTCH, S.GOTC);
  pair("TOR", R.TORL, R.TORH, S.TOR);
  one("TPR", R.TPR, S.TPR);
  one("TPT", R.TPT, S.TPT);
  one("MPTC", R.MPTC, S.MPTC);
  one("BPTC", R.BPTC, S.BPTC);
  const prc = [R.PRC64, R.PRC127, R.PRC255, R.PRC511, R.PRC1023, R.PRC1522];
  const ptc = [R.PTC64, R.PTC127, R.PTC255, R.PTC511, R.PTC1023, R.PTC1522];
  const bins = ["64", "127", "255", "511", "1023", "1522"];
  for (let i = 0; i < 6; i++) {
    one(`PRC${bins[i]}`, prc[i] ?? 0, S.PRC64 + i);
    one(`PTC${bins[i]}`, ptc[i] ?? 0, S.PTC64 + i);
  }
  for (let n = 0; n < 8; n++) {
    one(`MPC${n}`, R.MPC(n), S.MPC + n);
    one(`RNBC${n}`, R.RNBC(n), S.RNBC + n);
  }
  one("RXNFGPC", R.RXNFGPC, S.RXNFGPC);
  pair("RXNFGBC", R.RXNFGBCL, R.RXNFGBCH, S.RXNFGBC);
  one("RXDGPC", R.RXDGPC, S.RXDGPC);
  pair("RXDGBC", R.RXDGBCL, R.RXDGBCH, S.RXDGBC);
  one("TXDGPC", R.TXDGPC, S.TXDGPC);
  pair("TXDGBC", R.TXDGBCL, R.TXDGBCH, S.TXDGBC);
  for (let s = 0; s < 16; s++) {
    one(`QPRC${s}`, R.QPRC(s), S.QPRC + s);
    one(`QPRDC${s}`, R.QPRDC(s), S.QPRDC + s);
    pair(`QBRC${s}_`, R.QBRC_L(s), R.QBRC_H(s), S.QBRC + s);
    one(`QPTC${s}`, R.QPTC(s), S.QPTC + s);
    one(`QPTC${s}`, R.QPTC_ALIAS(s), S.QPTC + s);
    pair(`QBTC${s}_`, R.QBTC_L(s), R.QBTC_H(s), S.QBTC + s);
  }
  return t;
}

/** Every statistics register the model feeds, including the QPTC alias addresses. */
export const STAT_REGISTERS: readonly StatRegister[] = buildTable();

/**
 * Statistics registers the model has no source for (flow control, manageability, flow
 * director, MAC faults): clear-on-read counters that always read 0.
 */
export const ZERO_STAT_OFFSETS: readonly number[] = [
  R.ILLERRC,
  R.ERRBC,
  R.MSPDC,
  R.MLFC,
  R.MRFC,
  R.LXONTXC,
  R.LXOFFTXC,
  R.LXONRXCNT,
  R.LXOFFRXCNT,
  R.RFC,
  R.RJC,
  R.MNGPRC,
  R.MNGPDC,
  R.MNGPTC,
  R.XEC,
  R.SSVPC,
  R.FDIRMATCH,
  R.FDIRMISS,
  ...[0, 1, 2, 3, 4, 5, 6, 7].flatMap((n) => [
    R.PXONTXC(n),
    R.PXOFFTXC(n),
    R.PXONRXCNT(n),
    R.PXOFFRXCNT(n),
  ]),
];

/** Size bin (0..5 = 64, 65-127, 128-255, 256-511, 512-1023, 1024+) of a length incl. CRC. */
export function sizeBin(wireLen: number): number {
  if (wireLen <= 64) return 0;
  if (wireLen < 128) return 1;
  if (wireLen < 256) return 2;
  if (wireLen < 512) return 3;
  if (wireLen < 1024) return 4;
  return 5;
}

/** The accumulators behind the statistics registers of one port. */
export class Counters {
  /** Value accumulated since the last read (or reset), per counter id. */
  readonly acc = new Float64Array(S.COUNT);
  /** Latched bits 35:32 of a 36-bit counter, waiting for the H read. */
  readonly latch = new Float64Array(S.COUNT);

  /** A trapped read of register `reg`: returns its value and applies clear-on-read. */
  read(reg: StatRegister): number {
    const id = reg.id;
    if (reg.half === 1) {
      const h = this.latch[id];
      this.latch[id] = 0;
      return h;
    }
    const v = this.acc[id];
    this.acc[id] = 0;
    if (!reg.wide) return (v % TWO_32) >>> 0;
    const m = v % TWO_36;
    this.latch[id] = Math.floor(m / TWO_32);
    return (m % TWO_32) >>> 0;
  }

  /**
   * The value register `reg` shows without a read side effect: for registers in memory the
   * client maps, where reads cannot be observed and the counters therefore run free.
   */
  peek(reg: StatRegister): number {
    const v = this.acc[reg.id];
    if (reg.half === 1) return Math.floor((v % TWO_36) / TWO_32);
    return (v % TWO_32) >>> 0;
  }

  /** Zeroes everything (device reset). */
  clear(): void {
    this.acc.fill(0);
    this.latch.fill(0);
  }
}
