/*
 * RX configuration (datasheet §4.6.7, ixy init_rx / start_rx_queue): global receive settings,
 * then per queue: advanced one-buffer descriptors with drop enable, ring base/length, head and
 * tail, and the enable handshake.
 */
import type { Mmio } from "@dataplane/pci";
import { hex32, IxgbeError } from "./errors.ts";
import * as F from "./regs/filter.ts";
import * as G from "./regs/general.ts";
import * as M from "./regs/mac.ts";
import * as RX from "./regs/receive.ts";
import { SECRX_READY_MS } from "./reset.ts";
import type { RingSlice } from "./rings.ts";
import type { RxQueue } from "./rx-queue.ts";
import { pollUntil } from "./wait.ts";

/**
 * Buffer size told to the NIC (SRRCTL.BSIZEPACKET) in KiB. The pool's data room is 1920 bytes,
 * less than 2 KiB, which is safe only because JUMBOEN stays off: the MAC drops frames over
 * 1522 bytes, so no write ever passes the data room.
 */
export const RX_BUFFER_KB = 2;

/** Global RX settings, with the receive path off. */
export function initRxGlobal(mmio: Mmio): void {
  mmio.write32(RX.RXCTRL, mmio.read32(RX.RXCTRL) & ~RX.RXCTRL_RXEN);
  // No DCB: packet buffer 0 gets the whole 512 KiB of RX packet memory, the others none
  // (datasheet §8.2.3.8.9: the sizes must not add up to more than 512 KiB).
  mmio.write32(RX.RXPBSIZE(0), RX.RXPBSIZE_512KB);
  for (let n = 1; n < 8; n++) mmio.write32(RX.RXPBSIZE(n), 0);
  // CRC stripping must be set in both places.
  mmio.write32(M.HLREG0, mmio.read32(M.HLREG0) | M.HLREG0_RXCRCSTRP);
  // RDRXCTL (datasheet register description): RSCFRSTSIZE must be 0, RSCACKC and FCOE_WRFIX must be 1.
  let rdrxctl = mmio.read32(RX.RDRXCTL) & ~RX.RDRXCTL_RSCFRSTSIZE_MASK;
  rdrxctl |= RX.RDRXCTL_CRCSTRIP | RX.RDRXCTL_RSCACKC | RX.RDRXCTL_FCOE_WRFIX;
  mmio.write32(RX.RDRXCTL, rdrxctl);
  mmio.write32(F.FCTRL, mmio.read32(F.FCTRL) | F.FCTRL_BAM);
}

/** Programs queue q's SRRCTL and ring registers; head = tail = 0, so the NIC owns nothing. */
export function initRxQueue(mmio: Mmio, q: number, ring: RingSlice): void {
  let srrctl = mmio.read32(RX.SRRCTL(q));
  srrctl &= ~(RX.SRRCTL_DESCTYPE_MASK | RX.SRRCTL_BSIZEPACKET_MASK);
  srrctl |= RX.SRRCTL_DESCTYPE_ADV_ONEBUF | RX.SRRCTL_DROP_EN | RX_BUFFER_KB;
  mmio.write32(RX.SRRCTL(q), srrctl);
  mmio.write32(RX.RDBAL(q), ring.deviceAddress >>> 0);
  mmio.write32(RX.RDBAH(q), Math.floor(ring.deviceAddress / 2 ** 32));
  mmio.write32(RX.RDLEN(q), ring.bytes);
  mmio.write32(RX.RDH(q), 0);
  mmio.write32(RX.RDT(q), 0);
}

/**
 * After all queues: no-snoop off, and per queue the reserved DCA bit cleared (datasheet
 * §8.2.3.11.1) and relaxed ordering of descriptor, header and payload writes off, so the
 * descriptor write-back (DD) never overtakes the frame data it describes.
 */
export function finishRxInit(mmio: Mmio, queues: number): void {
  mmio.write32(G.CTRL_EXT, mmio.read32(G.CTRL_EXT) | G.CTRL_EXT_NS_DIS);
  const off = RX.DCA_RXCTRL_BIT12 | RX.DCA_RXCTRL_WRITE_RO_MASK;
  for (let q = 0; q < queues; q++) {
    mmio.write32(RX.DCA_RXCTRL(q), mmio.read32(RX.DCA_RXCTRL(q)) & ~off);
  }
}

/** Sets or clears an enable bit and waits until it reads back; throws QUEUE_TIMEOUT. */
export async function queueEnable(
  mmio: Mmio,
  offset: number,
  bit: number,
  on: boolean,
  timeoutMs: number,
  what: string,
): Promise<void> {
  const v = mmio.read32(offset);
  mmio.write32(offset, on ? v | bit : v & ~bit);
  const r = await pollUntil(
    () => mmio.read32(offset),
    (x) => ((x & bit) !== 0) === on,
    timeoutMs,
  );
  if (!r.ok) {
    throw new IxgbeError(
      "QUEUE_TIMEOUT",
      `${what}: ENABLE did not read back ${on ? 1 : 0} within ${timeoutMs} ms (register = ${hex32(r.value)}); ` +
        "check that the ring address and length were accepted and that DMATXCTL.TE/RXCTRL are sane, or raise timeouts.queueMs",
    );
  }
}

/**
 * Fills the ring (or, with `rearm`, reuses the buffers it already holds), enables the queue,
 * then hands the NIC all descriptors but one.
 */
export async function startRxQueue(
  mmio: Mmio,
  queue: RxQueue,
  timeoutMs: number,
  name: string,
  rearm = false,
): Promise<void> {
  const q = queue.id;
  if (rearm) queue.rearm();
  else queue.fill();
  await queueEnable(mmio, RX.RXDCTL(q), RX.RXDCTL_ENABLE, true, timeoutMs, `${name} RX queue ${q}`);
  mmio.write32(RX.RDH(q), 0);
  // The tail must not move before ENABLE reads back (datasheet §4.6.7).
  mmio.write32(RX.RDT(q), queue.size - 1);
}

/**
 * Turns the receive path on the way the 82599 errata and datasheet §4.6.7 ask (otherwise the
 * RX DMA unit can hang): halt the RX data path (SECRXCTRL.RX_DIS), wait for the security block
 * to go idle (SECRXSTAT.SECRX_RDY, bounded: past SECRX_READY_MS the Linux and DPDK drivers go on
 * regardless, and so does this), set RXCTRL.RXEN, then release the data path.
 */
export async function enableRx(mmio: Mmio): Promise<void> {
  mmio.write32(RX.SECRXCTRL, mmio.read32(RX.SECRXCTRL) | RX.SECRXCTRL_RX_DIS);
  await pollUntil(
    () => mmio.read32(RX.SECRXSTAT),
    (v) => (v & RX.SECRXSTAT_SECRX_RDY) !== 0,
    SECRX_READY_MS,
  );
  mmio.write32(RX.RXCTRL, mmio.read32(RX.RXCTRL) | RX.RXCTRL_RXEN);
  mmio.write32(RX.SECRXCTRL, mmio.read32(RX.SECRXCTRL) & ~RX.SECRXCTRL_RX_DIS);
}
