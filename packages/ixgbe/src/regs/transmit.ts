/**
 * Transmit registers (82599 datasheet §8.2.3.9-8.2.3.10): global TX DMA and arbiter settings
 * and the per-queue TX block at 0x06000 + 0x40*n for all 128 queues (no split).
 */

/** DMATXCTL: DMA TX Control (RW). TE must be set before any TXDCTL.ENABLE. */
export const DMATXCTL = 0x04a80;
/** DMATXCTL.TE (bit 0): transmit DMA enable. */
export const DMATXCTL_TE = 1 << 0;
/** DMATXCTL.GDV (bit 3). */
export const DMATXCTL_GDV = 1 << 3;
/** DMATXCTL.VT (bits 31:16): VLAN ethertype. */
export const DMATXCTL_VT_SHIFT = 16;

/** DTXMXSZRQ: DMA TX max outstanding read requests (RW), bits 11:0. */
export const DTXMXSZRQ = 0x08100;
/** DTXMXSZRQ.MAX_BYTES_NUM_REQ mask. */
export const DTXMXSZRQ_MAX_BYTES_MASK = 0xfff;

/** TXPBSIZE(n), n = 0..7: TX packet buffer size (RW), KiB in bits 19:10. */
export const TXPBSIZE = (n: number): number => 0x0cc00 + 4 * n;
/** TXPBSIZE value for 40 KiB (what ixy writes to buffer 0, 0x0000A000). */
export const TXPBSIZE_40KB = 40 << 10;
/** TXPBSIZE value for 160 KiB: the whole TX packet memory, buffer 0 without DCB (reset default). */
export const TXPBSIZE_160KB = 160 << 10;
/** TXPBTHRESH(n), n = 0..7: TX packet buffer threshold in KiB (RW), bits 9:0. */
export const TXPBTHRESH = (n: number): number => 0x04950 + 4 * n;
/** Largest frame the TX packet buffer must hold, in KiB: the threshold is size minus this. */
export const TX_PACKET_SIZE_MAX_KB = 10;

/** RTTDCS: DCB TX descriptor plane control and status (RW). */
export const RTTDCS = 0x04900;
/** RTTDCS.ARBDIS (bit 6): TX arbiter disable, set while changing MTQC. */
export const RTTDCS_ARBDIS = 1 << 6;
/** RTTDCS.BDPM (bit 22). */
export const RTTDCS_BDPM = 1 << 22;
/** RTTDCS.BPBFSM (bit 23). */
export const RTTDCS_BPBFSM = 1 << 23;
/** RTTDQSEL: DCB TX descriptor queue select (RW). */
export const RTTDQSEL = 0x04904;
/** RTTDT1C: DCB TX descriptor plane T1 config for the selected queue (RW). */
export const RTTDT1C = 0x04908;

/** MTQC: Multiple Transmit Queues Command (RW). */
export const MTQC = 0x08120;
/** MTQC.RT_ENA (bit 0). */
export const MTQC_RT_ENA = 1 << 0;
/** MTQC.VT_ENA (bit 1). */
export const MTQC_VT_ENA = 1 << 1;
/** MTQC.NUM_TC_OR_Q (bits 3:2): 00 = 64 queues, one packet buffer. */
export const MTQC_64Q_1PB = 0 << 2;

/** SECTXCTRL: Security TX Control (RW). */
export const SECTXCTRL = 0x08800;
/** SECTXCTRL.SECTX_DIS (bit 0). */
export const SECTXCTRL_SECTX_DIS = 1 << 0;
/** SECTXCTRL.TX_DIS (bit 1): halt the TX data path. */
export const SECTXCTRL_TX_DIS = 1 << 1;
/** SECTXCTRL.STORE_FORWARD (bit 2). */
export const SECTXCTRL_STORE_FORWARD = 1 << 2;
/** SECTXSTAT: Security TX Status (RO). */
export const SECTXSTAT = 0x08804;
/** SECTXSTAT.SECTX_RDY (bit 0): TX security block idle. */
export const SECTXSTAT_SECTX_RDY = 1 << 0;

const txq = (n: number, reg: number): number => 0x06000 + 0x40 * n + reg;

/** TDBAL(n): TX descriptor ring base, low 32 bits, 128-byte aligned (RW). */
export const TDBAL = (n: number): number => txq(n, 0x00);
/** TDBAH(n): TX descriptor ring base, high 32 bits (RW). */
export const TDBAH = (n: number): number => txq(n, 0x04);
/** TDLEN(n): TX ring length in bytes, multiple of 128 (RW). */
export const TDLEN = (n: number): number => txq(n, 0x08);
/** DCA_TXCTRL(n): TX DCA control (RW). */
export const DCA_TXCTRL = (n: number): number => txq(n, 0x0c);
/** DCA_TXCTRL.TX_WB_RO_EN (bit 11): relaxed ordering of write-backs. */
export const DCA_TXCTRL_TX_WB_RO_EN = 1 << 11;
/** TDH(n): TX descriptor head, bits 15:0 (RW, hardware owned once enabled). */
export const TDH = (n: number): number => txq(n, 0x10);
/** TDT(n): TX descriptor tail, bits 15:0 (RW): one past the last descriptor given to hardware. */
export const TDT = (n: number): number => txq(n, 0x18);
/** TXDCTL(n): TX descriptor control (RW). */
export const TXDCTL = (n: number): number => txq(n, 0x28);
/** TDWBAL(n): TX head write-back address low (RW); bit 0 enables head write-back. */
export const TDWBAL = (n: number): number => txq(n, 0x38);
/** TDWBAH(n): TX head write-back address high (RW). */
export const TDWBAH = (n: number): number => txq(n, 0x3c);
/** TDWBAL.HEAD_WB_EN (bit 0). */
export const TDWBAL_HEAD_WB_EN = 1 << 0;

/** TXDCTL.PTHRESH (bits 6:0): prefetch threshold. */
export const TXDCTL_PTHRESH_SHIFT = 0;
/** TXDCTL.HTHRESH (bits 14:8): host threshold. */
export const TXDCTL_HTHRESH_SHIFT = 8;
/** TXDCTL.WTHRESH (bits 22:16): write-back threshold. */
export const TXDCTL_WTHRESH_SHIFT = 16;
/** Mask of the three threshold fields (0x007F7F7F). */
export const TXDCTL_THRESH_MASK = 0x7f | (0x7f << 8) | (0x7f << 16);
/** TXDCTL.ENABLE (bit 25): set to start the queue, then poll until it reads back set. */
export const TXDCTL_ENABLE = 1 << 25;
/** TXDCTL.SWFLSH (bit 26): force pending write-backs. */
export const TXDCTL_SWFLSH = 1 << 26;
