/*
 * Global reset and the waits that follow it (datasheet §4.6.3, ixy's reset_and_init steps
 * 1-8): mask interrupts, reset, wait for the self-clearing bits, mask again, then wait for the
 * EEPROM auto-read and DMA init. Every wait is bounded.
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
 * Resets the device and waits until it is ready for configuration. Throws INIT_TIMEOUT naming
 * the step that did not finish.
 */
export async function resetDevice(mmio: Mmio, t: Timeouts, name: string): Promise<void> {
  disableInterrupts(mmio);
  mmio.write32(G.CTRL, G.CTRL_RST_MASK);
  await sleep(1); // the datasheet asks ~1 ms before CTRL is read again
  await waitBit(
    mmio,
    G.CTRL,
    G.CTRL_RST_MASK,
    false,
    t.resetMs,
    "reset (CTRL.RST|LRST clearing)",
    name,
  );
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
 * Stops all DMA before memory is freed: receive off, queues off, TX DMA off, interrupts masked,
 * then a reset, waited for (bounded, synchronously) so nothing lands in freed memory.
 */
export function quiesce(mmio: Mmio, rxQueues: number, txQueues: number, resetMs: number): void {
  const clear = (offset: number, bits: number) => mmio.write32(offset, mmio.read32(offset) & ~bits);
  clear(RX.RXCTRL, RX.RXCTRL_RXEN);
  for (let q = 0; q < rxQueues; q++) clear(RX.RXDCTL(q), RX.RXDCTL_ENABLE);
  for (let q = 0; q < txQueues; q++) clear(TX.TXDCTL(q), TX.TXDCTL_ENABLE);
  clear(TX.DMATXCTL, TX.DMATXCTL_TE);
  disableInterrupts(mmio);
  mmio.write32(G.CTRL, G.CTRL_RST_MASK);
  const deadline = performance.now() + resetMs;
  while ((mmio.read32(G.CTRL) & G.CTRL_RST_MASK) !== 0 && performance.now() < deadline) {
    Bun.sleepSync(1);
  }
}
