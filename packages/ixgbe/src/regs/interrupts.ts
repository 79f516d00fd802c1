/**
 * Interrupt registers (82599 datasheet §7.3, §8.2.3.5). Queue causes reach EICR through IVAR;
 * in MSI-X mode EICR bit v (v < 16) is vector v, vectors 16..63 use the _EX registers.
 * Bit 31 constants are written as unsigned hex (0x80000000) so they compare equal to values
 * read from a Uint32Array.
 */

/** EICR: Extended Interrupt Cause (RW1C; clear-on-read in MSI/INTx mode). */
export const EICR = 0x00800;
/** EICR.RTXQ (bits 15:0): queue causes after IVAR mapping. */
export const EICR_RTXQ_MASK = 0x0000ffff;
/** EICR.FLOW_DIR (bit 16). */
export const EICR_FLOW_DIR = 1 << 16;
/** EICR.RX_MISS (bit 17): a frame was missed because the RX packet buffer was full. */
export const EICR_RX_MISS = 1 << 17;
/** EICR.PCI (bit 18): PCI exception. */
export const EICR_PCI = 1 << 18;
/** EICR.MAILBOX (bit 19): VF mailbox. */
export const EICR_MAILBOX = 1 << 19;
/** EICR.LSC (bit 20): link status change. */
export const EICR_LSC = 1 << 20;
/** EICR.LINKSEC (bit 21). */
export const EICR_LINKSEC = 1 << 21;
/** EICR.MNG (bit 22): manageability event. */
export const EICR_MNG = 1 << 22;
/** EICR.GPI_SDP0 (bit 24); SDP1..3 follow at bits 25..27. */
export const EICR_GPI_SDP0 = 1 << 24;
/** EICR.ECC (bit 28). */
export const EICR_ECC = 1 << 28;
/** EICR.TCP_TIMER (bit 30). */
export const EICR_TCP_TIMER = 1 << 30;

/** EICS: Extended Interrupt Cause Set (WO): writing 1 sets the EICR bit. */
export const EICS = 0x00808;
/** EIAC: Extended Interrupt Auto Clear (RW): bits 15:0 queue causes, bit 30 TCP timer. */
export const EIAC = 0x00810;

/** EITR(n): Extended Interrupt Throttle, vector 0..127 (RW). Split at 24. */
export const EITR = (n: number): number => (n < 24 ? 0x00820 + 4 * n : 0x12300 + 4 * (n - 24));
/** EITR.ITR_INTERVAL (bits 11:3): minimum gap in ~2 us units, stored pre-shifted. */
export const EITR_ITR_INTERVAL_MASK = 0x00000ff8;
/** EITR.LLI_MOD (bit 15). */
export const EITR_LLI_MOD = 1 << 15;
/** EITR.LLI_CREDIT (bits 20:16). */
export const EITR_LLI_CREDIT_SHIFT = 16;
/** EITR.ITR_COUNTER (bits 27:21). */
export const EITR_ITR_COUNTER_SHIFT = 21;
/** EITR.CNT_WDIS (bit 31): write without touching the counter. */
export const EITR_CNT_WDIS = 0x80000000;

/** EIMS: Extended Interrupt Mask Set (RWS): writing 1 enables, 0 has no effect. */
export const EIMS = 0x00880;
/** EIMC: Extended Interrupt Mask Clear (WO): writing 1 disables. */
export const EIMC = 0x00888;
/** EIMC/EIMS value covering every maskable cause (bit 31 is reserved). */
export const EIMC_ALL = 0x7fffffff;
/** EIAM: Extended Interrupt Auto Mask (RW), used with GPIE.EIAME. */
export const EIAM = 0x00890;
/** EITRSEL: MSI-X to EITR select for VFs (RW). */
export const EITRSEL = 0x00894;

/** GPIE: General Purpose Interrupt Enable (RW). */
export const GPIE = 0x00898;
/** GPIE.SDP_GPI_EN (bits 3:0). */
export const GPIE_SDP_GPI_MASK = 0xf;
/** GPIE.MSIX_MODE (bit 4). */
export const GPIE_MSIX_MODE = 1 << 4;
/** GPIE.OCD (bit 5): "other" causes are not cleared by an EICR read. */
export const GPIE_OCD = 1 << 5;
/** GPIE.EIMEN (bit 6). */
export const GPIE_EIMEN = 1 << 6;
/** GPIE.LL_INTERVAL (bits 10:7). */
export const GPIE_LL_INTERVAL_SHIFT = 7;
/** GPIE.RSC_DELAY (bits 13:11). */
export const GPIE_RSC_DELAY_SHIFT = 11;
/** GPIE.VT_MODE (bits 15:14). */
export const GPIE_VT_MODE_SHIFT = 14;
/** GPIE.EIAME (bit 30): auto-mask through EIAM. */
export const GPIE_EIAME = 1 << 30;
/** GPIE.PBA_SUPPORT (bit 31). */
export const GPIE_PBA_SUPPORT = 0x80000000;

/** IVAR(n): Interrupt Vector Allocation, n = 0..63 (RW). Entry per queue pair, see ivarShift. */
export const IVAR = (n: number): number => 0x00900 + 4 * n;
/** IVAR entry valid bit (bit 7 of each 8-bit entry). */
export const IVAR_ALLOC_VAL = 0x80;
/** IVAR entry vector field (bits 5:0 of each entry). */
export const IVAR_VECTOR_MASK = 0x3f;
/** Register index holding the IVAR entry of `queue`. */
export const ivarIndex = (queue: number): number => queue >>> 1;
/**
 * Bit shift of the IVAR entry of `queue` in direction `tx` (0 = RX, 1 = TX):
 * RX 2n at 7:0, TX 2n at 15:8, RX 2n+1 at 23:16, TX 2n+1 at 31:24.
 */
export const ivarShift = (queue: number, tx: 0 | 1): number => 16 * (queue & 1) + 8 * tx;

/** IVAR_MISC: vectors for the TCP timer (7:0) and "other" causes (15:8) (RW). */
export const IVAR_MISC = 0x00a00;

/** EICS_EX(n), n = 0..1: extended cause set for vectors 0..63 (WO). */
export const EICS_EX = (n: number): number => 0x00a90 + 4 * n;
/** EIMS_EX(n), n = 0..1: extended mask set (RWS). */
export const EIMS_EX = (n: number): number => 0x00aa0 + 4 * n;
/** EIMC_EX(n), n = 0..1: extended mask clear (WO). */
export const EIMC_EX = (n: number): number => 0x00ab0 + 4 * n;
/** EIAM_EX(n), n = 0..1: extended auto-mask (RW). */
export const EIAM_EX = (n: number): number => 0x00ad0 + 4 * n;
/** PBACL(n): MSI-X pending bit clear (RW1C). Register 0 sits apart, at 0x11068 (as in Linux). */
export const PBACL = (n: number): number => (n === 0 ? 0x11068 : 0x110c0 + 4 * n);
