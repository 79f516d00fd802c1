/*
 * Register values after a device reset (power-on, CTRL.RST). Registers not listed read 0.
 * Values the fact sheet marks UNCONFIRMED are model choices, chosen so the known drivers'
 * read-modify-write sequences behave as on a card (SRRCTL 2 KiB buffers, DCA_RXCTRL bit 12).
 */
import * as R from "@dataplane/ixgbe/regs";
import { QUEUES } from "./register-map.ts";

/** LINKS value while the link is up: 10G serial (SFI), link up, AN idle (fact sheet §2.3). */
export const LINKS_UP_VALUE = 0x79001090;
/** AUTOC after the EEPROM load: LMS = 10G serial (SFI). */
export const AUTOC_DEFAULT = R.AUTOC_LMS_10G_SERIAL;
/** AUTOC2 after the EEPROM load: 10G serial PMA/PMD = SFI. */
export const AUTOC2_DEFAULT = R.AUTOC2_10G_SFI;
/** HLREG0 reset: TXCRCEN, RXCRCSTRP, TXPADEN, RXLNGTHERREN. */
export const HLREG0_DEFAULT =
  R.HLREG0_TXCRCEN | R.HLREG0_RXCRCSTRP | R.HLREG0_TXPADEN | R.HLREG0_RXLNGTHERREN;
/** SRRCTL reset: legacy descriptors, 2 KiB packet buffers, 256-byte header buffers. */
export const SRRCTL_DEFAULT = 0x00000402;
/** RDRXCTL.RSCFRSTSIZE after reset: non-zero (value UNCONFIRMED), software must clear it. */
export const RDRXCTL_RSCFRSTSIZE_DEFAULT = 0x8 << 17;
/** Default max frame size (MAXFRS.MFS) incl. CRC. */
export const MFS_DEFAULT = 1518;

const set = (bar: Uint32Array, offset: number, value: number): void => {
  bar[offset >>> 2] = value;
};

/**
 * Writes the reset state into `bar`: everything 0, then the non-zero defaults, the EEPROM-loaded
 * MAC in RAL(0)/RAH(0) with AV, and STATUS.LAN_ID. The link is reported down.
 */
export function applyResetValues(bar: Uint32Array, lanId: number, mac: Uint8Array): void {
  bar.fill(0);
  set(bar, R.STATUS, (lanId << R.STATUS_LAN_ID_SHIFT) | R.STATUS_PCIE_MASTER_ENABLE_STATUS);
  set(bar, R.EEC, R.EEC_EE_PRES | R.EEC_ARD | (2 << R.EEC_EE_SIZE_SHIFT));
  // RSCFRSTSIZE reads non-zero after reset and must be written 0 (DPDK: "Read as nonzero, must
  // be written as zero"); the exact reset value is a model choice.
  set(bar, R.RDRXCTL, R.RDRXCTL_DMAIDONE | RDRXCTL_RSCFRSTSIZE_DEFAULT);
  set(bar, R.HLREG0, HLREG0_DEFAULT);
  set(bar, R.MAXFRS, MFS_DEFAULT << R.MAXFRS_MFS_SHIFT);
  set(bar, R.AUTOC, AUTOC_DEFAULT);
  set(bar, R.AUTOC2, AUTOC2_DEFAULT);
  set(bar, R.RXPBSIZE(0), 512 << R.RXPBSIZE_SHIFT);
  set(bar, R.TXPBSIZE(0), 160 << 10);
  set(bar, R.TXPBTHRESH(0), 0x96);
  set(bar, R.RTTDCS, R.RTTDCS_BDPM | R.RTTDCS_BPBFSM);
  set(bar, R.DMATXCTL, 0x8100 << R.DMATXCTL_VT_SHIFT);
  set(bar, R.VLNCTRL, 0x8100);
  set(bar, R.SECRXSTAT, R.SECRXSTAT_SECRX_RDY);
  set(bar, R.SECTXSTAT, R.SECTXSTAT_SECTX_RDY);
  for (let q = 0; q < QUEUES; q++) {
    set(bar, R.SRRCTL(q), SRRCTL_DEFAULT);
    set(bar, R.DCA_RXCTRL(q), R.DCA_RXCTRL_BIT12);
    set(bar, R.DCA_TXCTRL(q), R.DCA_TXCTRL_TX_WB_RO_EN);
  }
  const ral = (mac[0] | (mac[1] << 8) | (mac[2] << 16) | (mac[3] << 24)) >>> 0;
  const rah = (mac[4] | (mac[5] << 8) | R.RAH_AV) >>> 0;
  set(bar, R.RAL(0), ral);
  set(bar, R.RAH(0), rah);
  // The 82598-style alias words show the same storage to clients that map the whole BAR.
  for (let n = 0; n < 16; n++) {
    set(bar, R.SRRCTL_ALIAS(n), SRRCTL_DEFAULT);
    set(bar, R.DCA_RXCTRL_ALIAS(n), R.DCA_RXCTRL_BIT12);
  }
  set(bar, R.RAL_ALIAS(0), ral);
  set(bar, R.RAH_ALIAS(0), rah);
}

/** Parses "aa:bb:cc:dd:ee:ff" (or takes 6 bytes) into a fresh 6-byte array; null if invalid. */
export function parseMac(mac: string | Uint8Array): Uint8Array | null {
  if (typeof mac !== "string") return mac.length === 6 ? Uint8Array.from(mac) : null;
  const parts = mac.split(/[:-]/);
  if (parts.length !== 6) return null;
  const out = new Uint8Array(6);
  for (let i = 0; i < 6; i++) {
    const p = parts[i] ?? "";
    if (!/^[0-9a-fA-F]{1,2}$/.test(p)) return null;
    out[i] = Number.parseInt(p, 16);
  }
  return out;
}
