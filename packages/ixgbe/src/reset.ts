/*
 * Global reset and the waits around it (datasheet §4.6.3, §5.2.5.3.2, ixy's reset_and_init
 * steps 1-8):
 *   1. mask interrupts;
 *   2. master disable: CTRL.PCIE_MASTER_DISABLE, then poll STATUS.PCIE_MASTER_ENABLE_STATUS
 *      until it clears (no DMA request pending). If it does not clear in time, §5.2.5.3.2 lets
 *      software go on with the reset, issued twice in a row (as the Linux driver does);
 *   3. CTRL.RST|LRST, ~1 ms, poll both bits clear, then the datasheet's >= 10 ms before init;
 *   4. mask interrupts again, wait for the EEPROM auto-read and the DMA init.
 * Every wait is bounded. This matters when taking over a card a crashed run left doing DMA.
 */
import type { Mmio } from "@dataplane/pci";
import { hex32, IxgbeError } from "./errors.ts";
import type { Timeouts } from "./options.ts";
import * as G from "./regs/general.ts";
import * as I from "./regs/interrupts.ts";
import * as RX from "./regs/receive.ts";
import * as TX from "./regs/transmit.ts";
import { pollUntil, sleep } from "./wait.ts";

/** Time the datasheet asks software to wait after a global reset before continuing init. */
export const POST_RESET_DELAY_MS = 10;
/** Time the datasheet asks software to wait after setting CTRL.RST before reading CTRL. */
export const RESET_SETTLE_MS = 1;
/**
 * Bound on the wait for the RX security block to go idle (SECRXSTAT.SECRX_RDY) before RXEN
 * changes; the Linux driver polls 4000 x 10 us and then goes on.
 */
export const SECRX_READY_MS = 40;
/**
 * Bound on the master-disable drain (the Linux driver polls 800 x 100 us); past it the reset
 * goes ahead, twice.
 */
export const MASTER_DISABLE_MS = 80;

/** Masks every interrupt cause and clears pending ones (EIMC all, read EICR). */
export function disableInterrupts(mmio: Mmio): void {
  mmio.write32(I.EIMC, I.EIMC_ALL);
  mmio.read32(I.EICR);
}

async function waitBit(
  mmio: Mmio,
  offset: number,
  bit: number,
  set: boolean,
  timeoutMs: number,
  what: string,
  name: string,
): Promise<void> {
  const r = await pollUntil(
    () => mmio.read32(offset),
    (v) => ((v & bit) !== 0) === set,
    timeoutMs,
  );
  if (r.ok) return;
  throw new IxgbeError(
    "INIT_TIMEOUT",
    `${name}: ${what} did not happen within ${timeoutMs} ms (register 0x${offset.toString(16).padStart(5, "0")} = ${hex32(r.value)}); ` +
      "the device may be wedged or absent: power-cycle or re-bind it, or raise the matching timeouts option",
  );
}

/**
 * Polls (synchronously, at most `timeoutMs`) until every one of `bits` reads `set` (all 1, or
 * all 0); returns whether it got there. Used where the caller cannot await (close, recover).
 */
export function pollBitsSync(
  mmio: Mmio,
  offset: number,
  bits: number,
  set: boolean,
  timeoutMs: number,
): boolean {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    if ((mmio.read32(offset) & bits) === (set ? bits : 0)) return true;
    if (performance.now() >= deadline) return false;
    Bun.sleepSync(1);
  }
}

const pollClearSync = (mmio: Mmio, offset: number, bits: number, timeoutMs: number): boolean =>
  pollBitsSync(mmio, offset, bits, false, timeoutMs);

/**
 * Master disable (datasheet §5.2.5.3.2): blocks new DMA and waits, bounded, for the requests in
 * flight to drain. Returns false when STATUS still shows the master enabled at the deadline.
 */
export function disableMaster(mmio: Mmio, timeoutMs = MASTER_DISABLE_MS): boolean {
  mmio.write32(G.CTRL, mmio.read32(G.CTRL) | G.CTRL_PCIE_MASTER_DISABLE);
  return pollClearSync(mmio, G.STATUS, G.STATUS_PCIE_MASTER_ENABLE_STATUS, timeoutMs);
}

/** Issues CTRL.RST|LRST and waits, bounded, for both to self-clear; false on timeout. */
function issueReset(mmio: Mmio, timeoutMs: number): boolean {
  mmio.write32(G.CTRL, mmio.read32(G.CTRL) | G.CTRL_RST_MASK);
  Bun.sleepSync(RESET_SETTLE_MS);
  return pollClearSync(mmio, G.CTRL, G.CTRL_RST_MASK, timeoutMs);
}

/**
 * Master disable, then the reset: once, or twice when the master did not drain (§5.2.5.3.2).
 * Returns false when a reset did not self-clear within `resetMs`.
 */
function masterDisableAndReset(mmio: Mmio, resetMs: number): boolean {
  const drained = disableMaster(mmio);
  if (!issueReset(mmio, resetMs)) return false;
  return drained || issueReset(mmio, resetMs);
}

/**
 * Resets the device and waits until it is ready for configuration. Throws INIT_TIMEOUT naming
 * the step that did not finish.
 */
export async function resetDevice(mmio: Mmio, t: Timeouts, name: string): Promise<void> {
  disableInterrupts(mmio);
  mmio.write32(G.CTRL, mmio.read32(G.CTRL) | G.CTRL_PCIE_MASTER_DISABLE);
  const drain = await pollUntil(
    () => mmio.read32(G.STATUS),
    (v) => (v & G.STATUS_PCIE_MASTER_ENABLE_STATUS) === 0,
    MASTER_DISABLE_MS,
  );
  for (let n = drain.ok ? 1 : 2; n > 0; n--) {
    mmio.write32(G.CTRL, mmio.read32(G.CTRL) | G.CTRL_RST_MASK);
    await sleep(RESET_SETTLE_MS);
    await waitBit(
      mmio,
      G.CTRL,
      G.CTRL_RST_MASK,
      false,
      t.resetMs,
      "reset (CTRL.RST|LRST clearing)",
      name,
    );
  }
  await sleep(POST_RESET_DELAY_MS);
  // The datasheet asks for interrupts to be masked again once the reset is over.
  disableInterrupts(mmio);
  await waitBit(mmio, G.EEC, G.EEC_ARD, true, t.eepromMs, "EEPROM auto-read (EEC.ARD)", name);
  await waitBit(
    mmio,
    RX.RDRXCTL,
    RX.RDRXCTL_DMAIDONE,
    true,
    t.dmaInitMs,
    "DMA init (RDRXCTL.DMAIDONE)",
    name,
  );
}

/**
 * Stops all DMA before memory is freed: receive off, each queue disabled and polled until
 * ENABLE reads back 0 (datasheet §4.6.7.1, §4.6.8.1), TX DMA off, interrupts masked, then
 * master disable and the reset, all waited for (bounded, synchronously) so nothing lands in
 * freed memory. Returns false when a queue or the reset did not confirm in time (the caller
 * releases memory anyway: the device no longer answers).
 */
export function quiesce(mmio: Mmio, rxQueues: number, txQueues: number, t: Timeouts): boolean {
  const clear = (offset: number, bits: number) => mmio.write32(offset, mmio.read32(offset) & ~bits);
  let ok = true;
  // RXEN changes only with the RX data path halted (the same handshake as enableRx); RX_DIS
  // stays set until the reset clears it.
  mmio.write32(RX.SECRXCTRL, mmio.read32(RX.SECRXCTRL) | RX.SECRXCTRL_RX_DIS);
  pollBitsSync(mmio, RX.SECRXSTAT, RX.SECRXSTAT_SECRX_RDY, true, SECRX_READY_MS);
  clear(RX.RXCTRL, RX.RXCTRL_RXEN);
  for (let q = 0; q < rxQueues; q++) clear(RX.RXDCTL(q), RX.RXDCTL_ENABLE);
  for (let q = 0; q < txQueues; q++) clear(TX.TXDCTL(q), TX.TXDCTL_ENABLE);
  for (let q = 0; q < rxQueues; q++) {
    ok = pollClearSync(mmio, RX.RXDCTL(q), RX.RXDCTL_ENABLE, t.queueMs) && ok;
  }
  for (let q = 0; q < txQueues; q++) {
    ok = pollClearSync(mmio, TX.TXDCTL(q), TX.TXDCTL_ENABLE, t.queueMs) && ok;
  }
  clear(TX.DMATXCTL, TX.DMATXCTL_TE);
  disableInterrupts(mmio);
  return masterDisableAndReset(mmio, t.resetMs) && ok;
}
