/*
 * Write side effects per register kind (fact sheet §2, §8, §9.1). Used by trapped writes and by
 * syncMapped for writes found in mapped memory; `w` is always the primary word (aliases are
 * resolved by the caller, which also mirrors the result to the alias word).
 */
import * as R from "@dataplane/ixgbe/regs";
import type { Port } from "./port.ts";
import { checkQueueEnable, checkRxEnable } from "./queue-rules.ts";
import { ANLP1, ARG, FDIRCTRL_INIT_DONE, FDIRCTRL_PBALLOC_MASK, K, KIND } from "./register-map.ts";
import { V } from "./rules.ts";
import { esdpRead } from "./sfp-module.ts";

const EEC_RW_MASK = 0x7f; // SK, CS, DI, DO, FWE, EE_REQ; the rest is read-only status
const EEC_RO_BITS = R.EEC_EE_PRES | (2 << R.EEC_EE_SIZE_SHIFT); // ARD: kept (reset-timing.ts)
const W_SECRXSTAT = R.SECRXSTAT >>> 2;
const W_ANLP1 = ANLP1 >>> 2;
const ANLP1_AN_STATE_SHIFT = 16;
/** AUTOC.LMS bit 2: the link modes with backplane (KX/KX4/KR) autonegotiation (1xx). */
const AUTOC_LMS_BACKPLANE_AN = 0x4 << 13;
/** State shown while backplane AN runs with no partner; the model's choice of a non-0 state. */
const AN_STATE_RUNNING = 0x2;
const W_RTTDCS = R.RTTDCS >>> 2;

/**
 * Applies a write of `v` to primary word `w` of `port`. `old` is the value the register held
 * before (for a store found in mapped memory, memory already shows `v`). Returns false when the
 * write was refused (device in reset): the caller then restores `old` in mapped memory.
 */
export function writeRegister(port: Port, w: number, v: number, old: number): boolean {
  const c = port.core;
  if (port.resetTimer.inReset && c.violations.strict) {
    // A mapped store found in the same pass as the CTRL.RST store may have preceded it in the
    // driver's program order (the pass applies stores in address order): not judged. Dropping
    // it is still right, since the reset would have overwritten it.
    if (!(c.storeFromMemory && c.resetInPass)) {
      c.violations.report(
        V.WRITE_DURING_RESET,
        `0x${v.toString(16)} written to 0x${(w << 2).toString(16)} during the reset`,
      );
    }
    return false; // the device does not take register writes while in reset (§8.2.3.1.1)
  }
  applyWrite(port, w, v, old);
  if (c.storeFromMemory && port.resetTimer.inReset) c.resetInPass = true;
  return true;
}

function applyWrite(port: Port, w: number, v: number, old: number): void {
  const c = port.core;
  const kind = KIND[w];
  switch (kind) {
    case K.PLAIN:
      c.set(w, v);
      return;
    case K.RO:
    case K.STATUS:
    case K.LINKS:
    case K.STAT:
      return;
    case K.WO:
      c.set(w, 0);
      return;
    case K.CTRL:
      writeCtrl(port, w, v);
      return;
    case K.EICR:
      c.intr.writeEicr(v);
      return;
    case K.EICS:
    case K.EICS_EX:
      c.set(w, 0); // write-only: reads (and a mapped view) show 0
      c.intr.writeEics(ARG[w], v, c.now);
      return;
    case K.EIMS:
    case K.EIMS_EX:
      c.intr.writeEims(ARG[w], v, c.now);
      if (kind === K.EIMS_EX) c.set(w, c.intr.readEims(ARG[w]));
      return;
    case K.EIMC:
    case K.EIMC_EX:
      c.set(w, 0);
      c.intr.writeEimc(ARG[w], v);
      if (kind === K.EIMC_EX) c.set(w - 4, c.intr.readEims(ARG[w])); // EIMS_EX(n) is 0x10 below
      return;
    case K.AUTOC:
      c.set(w, v & ~R.AUTOC_AN_RESTART); // Restart_AN self-clears
      if ((v & R.AUTOC_AN_RESTART) !== 0) {
        c.set(W_ANLP1, anlp1AfterRestart(v));
        port.link.restart(c.now);
      }
      return;
    case K.SWSM:
      c.set(w, v & (R.SWSM_SMBI | R.SWSM_SWESMBI));
      return;
    case K.EERD:
      writeEerd(port, w, v);
      return;
    case K.FDIRCTRL:
      // The model builds no Flow Director table (filters are not modelled), so the
      // initialisation a driver polls for after sizing it (datasheet §7.1.2.7) is done at once.
      c.set(
        w,
        (v & FDIRCTRL_PBALLOC_MASK) !== 0 ? v | FDIRCTRL_INIT_DONE : v & ~FDIRCTRL_INIT_DONE,
      );
      return;
    case K.I2CCTL:
      c.set(w, port.sfp.drive(v)); // the IN bits show the lines: what the MAC and module drive
      return;
    case K.ESDP:
      c.set(w, esdpRead(v));
      return;
    case K.EEC:
      c.set(
        w,
        ((v & EEC_RW_MASK) |
          ((v & R.EEC_EE_REQ) !== 0 ? R.EEC_EE_GNT : 0) |
          EEC_RO_BITS |
          (old & R.EEC_ARD)) >>>
          0,
      );
      return;
    case K.RDRXCTL:
      // DMAIDONE is read-only status: set by the DMA init after a reset, never by a write.
      // Lenient keeps the older model, where any write showed it set.
      c.set(
        w,
        (c.violations.strict
          ? (v & ~R.RDRXCTL_DMAIDONE) | (old & R.RDRXCTL_DMAIDONE)
          : v | R.RDRXCTL_DMAIDONE) >>> 0,
      );
      return;
    case K.RXCTRL:
      if (c.violations.strict) checkRxEnable(c, old, v);
      c.set(w, v);
      return;
    case K.MTQC:
      // Judged for trapped stores only: in mapped memory the RTTDCS stores around this one may
      // all have happened before the model's pass.
      if (c.violations.strict && !c.storeFromMemory && (c.bar[W_RTTDCS] & R.RTTDCS_ARBDIS) === 0) {
        c.violations.report(
          V.MTQC_WITHOUT_ARBDIS,
          `MTQC set to 0x${v.toString(16)} with RTTDCS.ARBDIS 0`,
        );
      }
      c.set(w, v);
      return;
    case K.SECRXCTRL:
      c.set(w, v);
      // The model holds no frame inside the security block, so it is empty (SECRX_RDY) as soon
      // as RX_DIS halts it; while it runs, SECRX_RDY reads 0 (datasheet §8.2.3.12.2).
      if (c.violations.strict) c.set(W_SECRXSTAT, (v & R.SECRXCTRL_RX_DIS) !== 0 ? 1 : 0);
      return;
    case K.RXDCTL:
      writeQueueControl(port, w, v, 0);
      return;
    case K.TXDCTL:
      writeQueueControl(port, w, v, 1);
      return;
    case K.RDH:
      c.rxHead[ARG[w]] = v & 0xffff;
      c.rxRefetch[ARG[w]] = 1;
      c.set(w, v & 0xffff);
      return;
    case K.TDH:
      c.txHead[ARG[w]] = v & 0xffff;
      c.set(w, v & 0xffff);
      return;
    case K.RSSRK:
      c.set(w, v);
      c.rssKeyDirty = true;
      return;
    case K.RAR:
      c.set(w, v);
      c.filterDirty = true;
      return;
    case K.PFQDE:
      writePfqde(port, w, v);
      return;
    default:
      c.set(w, v);
  }
}

/**
 * CTRL: RST resets the device; LRST resets it too and the link with it (datasheet §8.2.3.1.1:
 * a link reset is the software reset plus MAC, PCS and AN). Either way every register, CTRL
 * included, goes back to its default, so a PCIe Master Disable set before the reset is gone:
 * Linux's ixgbe sets it in its stop path, resets with LRST alone while the link is down and never
 * clears it itself. The reset bits read 1 until the reset completes (strict), then 0.
 */
function writeCtrl(port: Port, w: number, v: number): void {
  const c = port.core;
  if ((v & R.CTRL_RST_MASK) !== 0) {
    port.softwareReset(v & R.CTRL_RST_MASK);
    return;
  }
  c.set(w, v >>> 0);
  port.link.publishStatus(); // master disable shows in STATUS at once (no DMA is ever pending)
}

/**
 * ANLP1 after AUTOC.Restart_AN: the arbitration state machine leaves state 0 when the restart
 * selects a mode with backplane AN (LMS 1xx) and sits in state 0 otherwise (AN off: 10G serial,
 * 1G/10G without AN). Linux's 82599 pipeline reset (ixgbe_reset_pipeline_82599) relies on it:
 * it writes AUTOC with LMS bit 2 toggled and Restart_AN, waits for ANLP1.AN_STATE to leave 0,
 * then restores LMS. No link partner answers on the model's SFP+ cable, so the state stays put.
 */
function anlp1AfterRestart(autoc: number): number {
  return (autoc & AUTOC_LMS_BACKPLANE_AN) !== 0 ? AN_STATE_RUNNING << ANLP1_AN_STATE_SHIFT : 0;
}

/** EERD: START returns the word at once with DONE set. */
function writeEerd(port: Port, w: number, v: number): void {
  const c = port.core;
  if ((v & R.EERD_START) === 0) {
    c.set(w, v & ~R.EERD_DONE);
    return;
  }
  const addr = (v >>> R.EERD_ADDR_SHIFT) & R.EERD_ADDR_MASK;
  const data = addr < port.eeprom.length ? port.eeprom[addr] : 0;
  c.set(w, ((data << R.EERD_DATA_SHIFT) | (addr << R.EERD_ADDR_SHIFT) | R.EERD_DONE) >>> 0);
}

/**
 * RXDCTL/TXDCTL: ENABLE takes effect at once and reads back as the queue's state (queues past
 * the configured count never enable). TXDCTL.SWFLSH writes back what a WTHRESH batch holds and
 * self-clears.
 */
function writeQueueControl(port: Port, w: number, v: number, tx: 0 | 1): void {
  const c = port.core;
  const q = ARG[w];
  const was = tx === 0 ? c.rxEnabled[q] === 1 : c.txEnabled[q] === 1;
  let on = (v & R.RXDCTL_ENABLE) !== 0 && q < port.queues;
  if (on && !was && c.violations.strict) on = checkQueueEnable(c, q, tx);
  let stored = on ? v | R.RXDCTL_ENABLE : v & ~R.RXDCTL_ENABLE;
  if (tx === 1) stored &= ~R.TXDCTL_SWFLSH;
  c.set(w, stored >>> 0);
  if (tx === 0) {
    c.setRxEnabled(q, on);
    return;
  }
  if ((v & R.TXDCTL_SWFLSH) !== 0) port.tx.flush(q); // pending WTHRESH write-backs go out
  if ((c.txEnabled[q] === 1) !== on) {
    c.txEnabled[q] = on ? 1 : 0;
    c.rebuildTxActive();
    port.tx.resetQueue(q);
  }
}

/** PFQDE: indirect per-queue drop enable (WE writes QDE of queue IDX, RE reads it back). */
function writePfqde(port: Port, w: number, v: number): void {
  const c = port.core;
  const q = (v >>> R.PFQDE_IDX_SHIFT) & 0x7f;
  if ((v & R.PFQDE_WE) !== 0) c.qde[q] = v & R.PFQDE_QDE;
  const re = 1 << 17;
  const shown = (v & re) !== 0 ? c.qde[q] | (q << R.PFQDE_IDX_SHIFT) : v & ~(R.PFQDE_WE | re);
  c.set(w, shown >>> 0);
}
