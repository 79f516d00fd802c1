/*
 * Configuration checks made when the driver turns something on (register writes, never the
 * datapath): a queue's ring and buffer settings when RXDCTL/TXDCTL.ENABLE is set (datasheet
 * §4.6.7, §4.6.8), and the receive settings when RXCTRL.RXEN changes (§4.6.7, §8.2.3.8.8,
 * §8.2.3.12.1). Each broken rule is reported (rules.ts); a queue that cannot run stays off.
 */
import * as R from "@dataplane/ixgbe/regs";
import type { PortCore } from "./core.ts";
import { V } from "./rules.ts";

const hex = (v: number): string => `0x${(v >>> 0).toString(16)}`;
/** RDLEN/TDLEN: bits 19:7 hold the length; 6:0 must be 0 (128-byte multiples). */
const LEN_MAX = 0x000fff80;

/**
 * RXDCTL/TXDCTL.ENABLE 0 -> 1 on queue q: true when the queue can run (ENABLE then reads 1).
 * A ring whose length is 0, not a multiple of 128 bytes or whose base is not 128-byte aligned,
 * a TX queue before DMATXCTL.TE, and an RX queue without a buffer size cannot.
 */
export function checkQueueEnable(c: PortCore, q: number, tx: 0 | 1): boolean {
  const bar = c.bar;
  const dir = tx === 0 ? "RX" : "TX";
  const base = bar[(tx === 0 ? R.RDBAL(q) : R.TDBAL(q)) >>> 2] as number;
  const len = bar[(tx === 0 ? R.RDLEN(q) : R.TDLEN(q)) >>> 2] as number;
  let ok = true;
  if (len === 0 || (len & 0x7f) !== 0 || len > LEN_MAX || (base & 0x7f) !== 0) {
    c.violations.report(
      V.QUEUE_BAD_RING,
      `${dir} queue ${q} enabled with ${tx === 0 ? "RDLEN" : "TDLEN"} ${len} and base low ${hex(base)}`,
    );
    ok = false;
  }
  if (tx === 1 && (bar[R.DMATXCTL >>> 2] & R.DMATXCTL_TE) === 0) {
    c.violations.report(V.TX_BEFORE_TE, `TX queue ${q} enabled while DMATXCTL.TE is 0`);
    ok = false;
  }
  if (tx === 0 && (bar[R.SRRCTL(q) >>> 2] & R.SRRCTL_BSIZEPACKET_MASK) === 0) {
    c.violations.report(V.BSIZE_ZERO, `RX queue ${q} enabled with SRRCTL.BSIZEPACKET 0`);
    ok = false;
  }
  // Judged only for a trapped store: an ENABLE store found in mapped memory may have been
  // followed by the tail store before the model's pass (and the driver, polling memory, read its
  // own ENABLE store back), so the order is unknown there.
  const tail = bar[(tx === 0 ? R.RDT(q) : R.TDT(q)) >>> 2] as number;
  const head = tx === 0 ? c.rxHead[q] : c.txHead[q];
  if ((tail & 0xffff) !== head && !c.storeFromMemory) {
    c.violations.report(
      tx === 0 ? V.RX_TAIL_BEFORE_ENABLE : V.TX_TAIL_BEFORE_ENABLE,
      `${dir} queue ${q}: tail ${tail & 0xffff} != head ${head} before ENABLE`,
    );
  }
  return ok;
}

/** RXCTRL written with `v` (was `old`): the receive settings the datasheet requires. */
export function checkRxEnable(c: PortCore, old: number, v: number): void {
  const bar = c.bar;
  const w = R.SECRXCTRL >>> 2;
  // Judged only for a trapped store (vfio-user traps RXCTRL and SECRXCTRL). In mapped memory the
  // three stores of the handshake (RX_DIS set, RXEN, RX_DIS cleared) can all land between two
  // model passes when the driver's bounded wait for SECRX_RDY runs out first, as the Linux and
  // DPDK drivers allow; the model then cannot tell whether RX_DIS was ever set.
  const rxDis = ((bar[w] as number) | (c.shadow[w] as number)) & R.SECRXCTRL_RX_DIS;
  if (((old ^ v) & R.RXCTRL_RXEN) !== 0 && rxDis === 0 && !c.storeFromMemory) {
    c.violations.report(
      V.RXEN_WITHOUT_RX_DIS,
      `RXCTRL.RXEN set to ${v & R.RXCTRL_RXEN} while SECRXCTRL.RX_DIS is 0`,
    );
  }
  if ((v & R.RXCTRL_RXEN) === 0 || (old & R.RXCTRL_RXEN) !== 0) return;
  const hl = bar[R.HLREG0 >>> 2] as number;
  const rd = bar[R.RDRXCTL >>> 2] as number;
  if (((hl & R.HLREG0_RXCRCSTRP) !== 0) !== ((rd & R.RDRXCTL_CRCSTRIP) !== 0)) {
    c.violations.report(
      V.CRC_STRIP_MISMATCH,
      `receive enabled with HLREG0.RXCRCSTRP ${(hl & R.HLREG0_RXCRCSTRP) !== 0 ? 1 : 0} and RDRXCTL.CRCSTRIP ${rd & R.RDRXCTL_CRCSTRIP ? 1 : 0}`,
    );
  }
  const need = R.RDRXCTL_RSCACKC | R.RDRXCTL_FCOE_WRFIX;
  if ((rd & need) !== need || (rd & R.RDRXCTL_RSCFRSTSIZE_MASK) !== 0) {
    c.violations.report(V.RDRXCTL_BITS, `receive enabled with RDRXCTL ${hex(rd)}`);
  }
}
