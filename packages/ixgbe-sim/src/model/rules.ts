/*
 * The datasheet rules the model enforces, as data: a stable id (what tests, logs and
 * `ctl violations` name), the 82599 datasheet section (or driver note) the rule comes from, and
 * what breaking it means. The index of a rule in RULES is its code in the hot-path-free checks
 * (V below); ids never change once published.
 */

/** One enforced rule. */
export interface Rule {
  /** Stable id, kebab-case. */
  readonly id: string;
  /** Where the rule comes from (82599 datasheet section, or the driver note quoted). */
  readonly section: string;
  /** What a violation is, and what the model does about it. */
  readonly text: string;
}

/** Every rule, in code order (see V). */
export const RULES: readonly Rule[] = [
  {
    id: "write-during-reset",
    section: "8.2.3.1.1 (CTRL.RST)",
    text: "a register was written while the device reset (CTRL.RST) was still in progress; software must wait for CTRL.RST to clear. The write is ignored",
  },
  {
    id: "queue-enable-bad-ring",
    section: "4.6.7 / 8.2.3.8.2 (RDLEN), 4.6.8 / 8.2.3.9.7 (TDLEN)",
    text: "RXDCTL/TXDCTL.ENABLE was set with a ring length that is zero or not a multiple of 128 bytes, or a ring base that is not 128-byte aligned. ENABLE reads 0",
  },
  {
    id: "tx-enable-before-te",
    section: "4.6.8 (DMATXCTL.TE before TXDCTL.ENABLE)",
    text: "TXDCTL.ENABLE was set while DMATXCTL.TE was 0. ENABLE reads 0",
  },
  {
    id: "srrctl-bsizepacket-zero",
    section: "8.2.3.8.7 (SRRCTL.BSIZEPACKET)",
    text: "RXDCTL.ENABLE was set while SRRCTL.BSIZEPACKET is 0 (no receive buffer size). ENABLE reads 0",
  },
  {
    id: "crc-strip-mismatch",
    section: "8.2.3.8.8 (RDRXCTL.CRCSTRIP) / 8.2.3.22.8 (HLREG0.RXCRCSTRP)",
    text: "receive was enabled (RXCTRL.RXEN) while HLREG0.RXCRCSTRP and RDRXCTL.CRCSTRIP disagree; the datasheet requires both set the same",
  },
  {
    id: "rdrxctl-required-bits",
    section: "8.2.3.8.8 (RDRXCTL: RSCFRSTSIZE 0, RSCACKC 1, FCOE_WRFIX 1)",
    text: "receive was enabled while RDRXCTL.RSCFRSTSIZE is non-zero or RSCACKC / FCOE_WRFIX are clear; the 82599 requires software to set them (Linux and DPDK: 'hardware requires')",
  },
  {
    id: "rxen-without-secrx-rx-dis",
    section: "4.6.7 / 8.2.3.12.1 (SECRXCTRL.RX_DIS around RXCTRL.RXEN)",
    text: "RXCTRL.RXEN was changed while SECRXCTRL.RX_DIS was 0; software must halt the receive security path (RX_DIS, wait SECRXSTAT.SECRX_RDY) first",
  },
  {
    id: "rx-tail-before-enable",
    section: "4.6.7 (RDT after RXDCTL.ENABLE reads 1)",
    text: "RDT was moved past RDH while the queue was not enabled; software must wait for RXDCTL.ENABLE to read 1 before handing descriptors to the device",
  },
  {
    id: "mtqc-without-arbdis",
    section: "MTQC with RTTDCS.ARBDIS (Linux ixgbe_setup_mtqc, DPDK ixgbe_dev_mq_tx_configure)",
    text: "MTQC was written while RTTDCS.ARBDIS was 0; the transmit descriptor arbiter must be disabled while MTQC changes ('disable arbiter before setting MTQC')",
  },
  {
    id: "tx-tail-before-enable",
    section: "4.6.8 (TDT after TXDCTL.ENABLE reads 1)",
    text: "TDT was moved past TDH while the queue was not enabled; software must wait for TXDCTL.ENABLE to read 1 before handing descriptors to the device",
  },
];

/** Rule codes (indexes into RULES). */
export const V = {
  WRITE_DURING_RESET: 0,
  QUEUE_BAD_RING: 1,
  TX_BEFORE_TE: 2,
  BSIZE_ZERO: 3,
  CRC_STRIP_MISMATCH: 4,
  RDRXCTL_BITS: 5,
  RXEN_WITHOUT_RX_DIS: 6,
  RX_TAIL_BEFORE_ENABLE: 7,
  MTQC_WITHOUT_ARBDIS: 8,
  TX_TAIL_BEFORE_ENABLE: 9,
} as const;

/** How strictly a port judges its driver. */
export type Strictness = "strict" | "lenient" | "fatal";

/** One rule's tally, as reported. */
export interface ViolationCount {
  readonly rule: string;
  readonly section: string;
  readonly count: number;
  /** The first occurrence, in words. */
  readonly detail: string;
}

/** What `violations()` and `ctl violations` report. */
export interface ViolationReport {
  /** "strict", "lenient" (nothing is judged) or "fatal" (the first violation stops the port). */
  readonly mode: Strictness;
  readonly total: number;
  /** True once a violation stopped the port (fatal mode). */
  readonly stopped: boolean;
  /** Rules broken at least once, in rule order. */
  readonly rules: readonly ViolationCount[];
}

/** Violation counters of one port; report() is the slow path (called only on a violation). */
export class ViolationUnit {
  readonly counts = new Float64Array(RULES.length);
  private readonly first: string[] = RULES.map(() => "");
  /** Set in fatal mode after the first violation: the port's datapath no longer runs. */
  stopped = false;

  constructor(
    readonly mode: Strictness,
    private readonly log: (line: string) => void,
  ) {}

  /** True when rules are judged at all (not lenient). */
  get strict(): boolean {
    return this.mode !== "lenient";
  }

  /** Records a violation of rule `code`; logs the first one of each rule. */
  report(code: number, detail: string): void {
    const rule = RULES[code] as Rule;
    this.counts[code]++;
    if (this.counts[code] === 1) {
      this.first[code] = detail;
      this.log(`violation ${rule.id} (datasheet ${rule.section}): ${detail}`);
    }
    if (this.mode === "fatal" && !this.stopped) {
      this.stopped = true;
      this.log(`--strict-fatal: port stopped by violation ${rule.id}`);
    }
  }

  /** The tally as JSON-ready data. */
  summary(): ViolationReport {
    const rules: ViolationCount[] = [];
    let total = 0;
    RULES.forEach((r, i) => {
      const n = this.counts[i] as number;
      total += n;
      if (n > 0)
        rules.push({ rule: r.id, section: r.section, count: n, detail: this.first[i] as string });
    });
    return { mode: this.mode, total, stopped: this.stopped, rules };
  }
}
