/**
 * Receive registers (82599 datasheet §8.2.3.8): the global RX switches and the per-queue RX
 * block. Per-queue blocks sit at 0x01000 + 0x40*n for queues 0..63 and 0x0D000 + 0x40*(n-64)
 * for 64..127. SRRCTL and DCA_RXCTRL of queues 0..15 also answer at 82598-style aliases.
 */

/** RXCTRL: Receive Control (RW). */
export const RXCTRL = 0x03000;
/** RXCTRL.RXEN (bit 0): receive path enable. */
export const RXCTRL_RXEN = 1 << 0;

/** RDRXCTL: Receive DMA Control (RW; DMAIDONE RO). */
export const RDRXCTL = 0x02f00;
/** RDRXCTL.CRCSTRIP (bit 1): must equal HLREG0.RXCRCSTRP. */
export const RDRXCTL_CRCSTRIP = 1 << 1;
/** RDRXCTL.DMAIDONE (bit 3, RO): DMA init done after reset; init polls it. */
export const RDRXCTL_DMAIDONE = 1 << 3;
/** RDRXCTL.RSCFRSTSIZE (bits 21:17): software writes 0. */
export const RDRXCTL_RSCFRSTSIZE_MASK = 0x1f << 17;
/** RDRXCTL.RSCACKC (bit 25): software writes 1. */
export const RDRXCTL_RSCACKC = 1 << 25;
/** RDRXCTL.FCOE_WRFIX (bit 26): software writes 1. */
export const RDRXCTL_FCOE_WRFIX = 1 << 26;

/** RXPBSIZE(n), n = 0..7: RX packet buffer size (RW), KiB in bits 19:10. */
export const RXPBSIZE = (n: number): number => 0x03c00 + 4 * n;
/** RXPBSIZE.SIZE shift (KiB units). */
export const RXPBSIZE_SHIFT = 10;
/** RXPBSIZE value for 128 KiB (what ixy writes to buffer 0). */
export const RXPBSIZE_128KB = 128 << 10;
/** RXPBSIZE value for 512 KiB: the whole RX packet memory, buffer 0 without DCB (§8.2.3.8.9). */
export const RXPBSIZE_512KB = 512 << 10;

/** RXCSUM: Receive Checksum Control (RW). */
export const RXCSUM = 0x05000;
/** RXCSUM.IPPCSE (bit 12). */
export const RXCSUM_IPPCSE = 1 << 12;
/** RXCSUM.PCSD (bit 13): descriptor DW1 carries the RSS hash. */
export const RXCSUM_PCSD = 1 << 13;

/** RFCTL: Receive Filter Control (RW). */
export const RFCTL = 0x05008;
/** RFCTL.RSC_DIS (bit 5). */
export const RFCTL_RSC_DIS = 1 << 5;

/** PFQDE: PF queue drop enable, indirect (RW). */
export const PFQDE = 0x02f04;
/** PFQDE.QDE (bit 0). */
export const PFQDE_QDE = 1 << 0;
/** PFQDE.IDX (bits 14:8): queue index. */
export const PFQDE_IDX_SHIFT = 8;
/** PFQDE.WE (bit 16): write strobe. */
export const PFQDE_WE = 1 << 16;

/** SECRXCTRL: Security RX Control (RW). */
export const SECRXCTRL = 0x08d00;
/** SECRXCTRL.SECRX_DIS (bit 0). */
export const SECRXCTRL_SECRX_DIS = 1 << 0;
/** SECRXCTRL.RX_DIS (bit 1): halt the RX data path. */
export const SECRXCTRL_RX_DIS = 1 << 1;
/** SECRXSTAT: Security RX Status (RO). */
export const SECRXSTAT = 0x08d04;
/** SECRXSTAT.SECRX_RDY (bit 0): RX security block idle. */
export const SECRXSTAT_SECRX_RDY = 1 << 0;

/** RXDSTATCTRL: RX DMA statistics control (RW). */
export const RXDSTATCTRL = 0x02f40;

const rxq = (n: number, reg: number): number =>
  n < 64 ? 0x01000 + 0x40 * n + reg : 0x0d000 + 0x40 * (n - 64) + reg;

/** RDBAL(n): RX descriptor ring base, low 32 bits, 128-byte aligned (RW). */
export const RDBAL = (n: number): number => rxq(n, 0x00);
/** RDBAH(n): RX descriptor ring base, high 32 bits (RW). */
export const RDBAH = (n: number): number => rxq(n, 0x04);
/** RDLEN(n): RX ring length in bytes, multiple of 128 (RW). */
export const RDLEN = (n: number): number => rxq(n, 0x08);
/** DCA_RXCTRL(n): RX DCA control (RW); bit 12 resets to 1 and must be cleared. */
export const DCA_RXCTRL = (n: number): number => rxq(n, 0x0c);
/** DCA_RXCTRL alias for queues 0..15 (0x02200 + 4n), the address ixy uses. */
export const DCA_RXCTRL_ALIAS = (n: number): number => 0x02200 + 4 * n;
/** DCA_RXCTRL reserved bit 12: resets to 1, software clears it. */
export const DCA_RXCTRL_BIT12 = 1 << 12;
/** DCA_RXCTRL.RX_DESC_WBRO_EN (bit 11): descriptor write-back relaxed ordering; must be 0. */
export const DCA_RXCTRL_DESC_WBRO_EN = 1 << 11;
/** DCA_RXCTRL.RX_DATA_WRO_EN (bit 13): payload write relaxed ordering. */
export const DCA_RXCTRL_DATA_WRO_EN = 1 << 13;
/** DCA_RXCTRL.RX_HEAD_WRO_EN (bit 15): header write relaxed ordering. */
export const DCA_RXCTRL_HEAD_WRO_EN = 1 << 15;
/**
 * The relaxed-ordering write enables the driver clears: with them set a descriptor's DD could
 * reach memory before the frame it describes (the Linux driver clears the same bits).
 */
export const DCA_RXCTRL_WRITE_RO_MASK =
  DCA_RXCTRL_DESC_WBRO_EN | DCA_RXCTRL_DATA_WRO_EN | DCA_RXCTRL_HEAD_WRO_EN;
/** RDH(n): RX descriptor head, bits 15:0 (RW, hardware owned once enabled). */
export const RDH = (n: number): number => rxq(n, 0x10);
/** SRRCTL(n): Split and Replication Receive Control (RW). */
export const SRRCTL = (n: number): number => rxq(n, 0x14);
/** SRRCTL alias for queues 0..15 (0x02100 + 4n), the address ixy uses. */
export const SRRCTL_ALIAS = (n: number): number => 0x02100 + 4 * n;
/** RDT(n): RX descriptor tail, bits 15:0 (RW): one past the last descriptor given to hardware. */
export const RDT = (n: number): number => rxq(n, 0x18);
/** RXDCTL(n): RX descriptor control (RW). */
export const RXDCTL = (n: number): number => rxq(n, 0x28);
/** RSCCTL(n): RSC control (RW). */
export const RSCCTL = (n: number): number => rxq(n, 0x2c);

/** SRRCTL.BSIZEPACKET (bits 4:0): buffer size in 1 KiB units. */
export const SRRCTL_BSIZEPACKET_MASK = 0x1f;
/** SRRCTL.BSIZEPACKET unit shift (bytes >> 10). */
export const SRRCTL_BSIZEPACKET_SHIFT = 10;
/** SRRCTL.BSIZEHEADER (bits 13:8): header buffer size in 64-byte units. */
export const SRRCTL_BSIZEHEADER_SHIFT = 8;
/** SRRCTL.BSIZEHEADER mask, in place. */
export const SRRCTL_BSIZEHEADER_MASK = 0x3f << 8;
/** SRRCTL.RDMTS (bits 24:22). */
export const SRRCTL_RDMTS_SHIFT = 22;
/** SRRCTL.DESCTYPE (bits 27:25) mask, in place (0x0E000000). */
export const SRRCTL_DESCTYPE_MASK = 0x7 << 25;
/** SRRCTL.DESCTYPE = legacy (reset default). */
export const SRRCTL_DESCTYPE_LEGACY = 0 << 25;
/** SRRCTL.DESCTYPE = advanced, one buffer (0x02000000). */
export const SRRCTL_DESCTYPE_ADV_ONEBUF = 1 << 25;
/** SRRCTL.DESCTYPE = advanced, header split. */
export const SRRCTL_DESCTYPE_HDR_SPLIT = 2 << 25;
/** SRRCTL.DESCTYPE = advanced, header split always. */
export const SRRCTL_DESCTYPE_HDR_SPLIT_ALWAYS = 5 << 25;
/** SRRCTL.DROP_EN (bit 28): drop instead of waiting when no descriptor is free. */
export const SRRCTL_DROP_EN = 1 << 28;

/** RXDCTL.ENABLE (bit 25): set to start the queue, then poll until it reads back set. */
export const RXDCTL_ENABLE = 1 << 25;
/** RXDCTL.SWFLSH (bit 26). */
export const RXDCTL_SWFLSH = 1 << 26;
/** RXDCTL.VME (bit 30): strip the VLAN tag into the descriptor. */
export const RXDCTL_VME = 1 << 30;

/** RSCCTL.RSCEN (bit 0). */
export const RSCCTL_RSCEN = 1 << 0;
