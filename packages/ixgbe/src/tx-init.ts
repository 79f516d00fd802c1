/*
 * TX configuration (datasheet §4.6.8, ixy init_tx / start_tx_queue): CRC and padding, packet
 * buffer, DMA request size, arbiter, per-queue ring and thresholds, TE, then the per-queue
 * enable handshake (TE must already be set).
 */
import type { Mmio } from "@dataplane/pci";
import * as M from "./regs/mac.ts";
import * as TX from "./regs/transmit.ts";
import type { RingSlice } from "./rings.ts";
import { queueEnable } from "./rx-init.ts";

/** TXDCTL thresholds (ixy's): prefetch 36, host 8, write-back 4. */
export const TXDCTL_THRESHOLDS =
  (36 << TX.TXDCTL_PTHRESH_SHIFT) | (8 << TX.TXDCTL_HTHRESH_SHIFT) | (4 << TX.TXDCTL_WTHRESH_SHIFT);

/** TXPBTHRESH(0): buffer 0's size less the largest frame, in KiB (as the Linux driver sets it). */
export const TXPBTHRESH_0 = (TX.TXPBSIZE_160KB >>> 10) - TX.TX_PACKET_SIZE_MAX_KB;

/**
 * Global TX settings. The packet buffers and MTQC are programmed with the TX descriptor arbiter
 * off (RTTDCS.ARBDIS, as the datasheet's DCB-off setup asks). Without DCB buffer 0 gets the
 * whole 160 KiB and a threshold that still leaves room for one largest frame; the others get
 * size and threshold 0.
 */
export function initTxGlobal(mmio: Mmio): void {
  mmio.write32(M.HLREG0, mmio.read32(M.HLREG0) | M.HLREG0_TXCRCEN | M.HLREG0_TXPADEN);
  mmio.write32(TX.RTTDCS, mmio.read32(TX.RTTDCS) | TX.RTTDCS_ARBDIS);
  mmio.write32(TX.TXPBSIZE(0), TX.TXPBSIZE_160KB);
  mmio.write32(TX.TXPBTHRESH(0), TXPBTHRESH_0);
  for (let n = 1; n < 8; n++) {
    mmio.write32(TX.TXPBSIZE(n), 0);
    mmio.write32(TX.TXPBTHRESH(n), 0);
  }
  mmio.write32(TX.MTQC, TX.MTQC_64Q_1PB);
  // No DCB: the datasheet asks for the maximum outstanding request size.
  mmio.write32(TX.DTXMXSZRQ, TX.DTXMXSZRQ_MAX_BYTES_MASK);
  mmio.write32(TX.RTTDCS, mmio.read32(TX.RTTDCS) & ~TX.RTTDCS_ARBDIS);
}

/**
 * Programs queue q's ring and thresholds, with relaxed ordering of descriptor write-backs off
 * (DCA_TXCTRL.TX_WB_RO_EN) so completions reach memory in order.
 */
export function initTxQueue(mmio: Mmio, q: number, ring: RingSlice): void {
  mmio.write32(TX.DCA_TXCTRL(q), mmio.read32(TX.DCA_TXCTRL(q)) & ~TX.DCA_TXCTRL_TX_WB_RO_EN);
  mmio.write32(TX.TDBAL(q), ring.deviceAddress >>> 0);
  mmio.write32(TX.TDBAH(q), Math.floor(ring.deviceAddress / 2 ** 32));
  mmio.write32(TX.TDLEN(q), ring.bytes);
  const txdctl = mmio.read32(TX.TXDCTL(q)) & ~TX.TXDCTL_THRESH_MASK;
  mmio.write32(TX.TXDCTL(q), txdctl | TXDCTL_THRESHOLDS);
}

/** Sets DMATXCTL.TE; must come before any TXDCTL.ENABLE. */
export function enableTxDma(mmio: Mmio): void {
  mmio.write32(TX.DMATXCTL, mmio.read32(TX.DMATXCTL) | TX.DMATXCTL_TE);
}

/** Zeroes head and tail and enables queue q. Throws QUEUE_TIMEOUT. */
export async function startTxQueue(mmio: Mmio, q: number, timeoutMs: number, name: string) {
  mmio.write32(TX.TDH(q), 0);
  mmio.write32(TX.TDT(q), 0);
  await queueEnable(mmio, TX.TXDCTL(q), TX.TXDCTL_ENABLE, true, timeoutMs, `${name} TX queue ${q}`);
}
