/**
 * MAC, link and flow-control registers (82599 datasheet §8.2.3.22). Link bring-up goes through
 * AUTOC (mode + Restart_AN); LINKS reports the result.
 */

/** HLREG0: MAC Core Control 0 (RW). */
export const HLREG0 = 0x04240;
/** HLREG0.TXCRCEN (bit 0): append CRC to TX frames whose descriptor sets IFCS. */
export const HLREG0_TXCRCEN = 1 << 0;
/** HLREG0.RXCRCSTRP (bit 1): strip CRC on RX; must match RDRXCTL.CRCSTRIP. */
export const HLREG0_RXCRCSTRP = 1 << 1;
/** HLREG0.JUMBOEN (bit 2): accept frames up to MAXFRS.MFS. */
export const HLREG0_JUMBOEN = 1 << 2;
/** HLREG0.TXPADEN (bit 10): pad short TX frames to 64 bytes. */
export const HLREG0_TXPADEN = 1 << 10;
/** HLREG0.LPBK (bit 15): MAC loopback. */
export const HLREG0_LPBK = 1 << 15;
/** HLREG0.MDCSPD (bit 16). */
export const HLREG0_MDCSPD = 1 << 16;
/** HLREG0.CONTMDC (bit 17). */
export const HLREG0_CONTMDC = 1 << 17;
/** HLREG0.PREPEND (bits 23:20). */
export const HLREG0_PREPEND_SHIFT = 20;
/** HLREG0.RXLNGTHERREN (bit 27): length-error checking. */
export const HLREG0_RXLNGTHERREN = 1 << 27;
/** HLREG0.RXPADSTRIPEN (bit 28). */
export const HLREG0_RXPADSTRIPEN = 1 << 28;

/** MAXFRS: Max Frame Size (RW). MFS in bits 31:16, bytes incl. CRC, used with JUMBOEN. */
export const MAXFRS = 0x04268;
/** MAXFRS.MFS shift. */
export const MAXFRS_MFS_SHIFT = 16;

/** MFLCN: MAC Flow Control (RW). */
export const MFLCN = 0x04294;
/** MFLCN.PMCF (bit 0): pass MAC control frames. */
export const MFLCN_PMCF = 1 << 0;
/** MFLCN.DPF (bit 1): discard pause frames. */
export const MFLCN_DPF = 1 << 1;
/** MFLCN.RPFCE (bit 2): receive priority flow control enable. */
export const MFLCN_RPFCE = 1 << 2;
/** MFLCN.RFCE (bit 3): receive link flow control enable. */
export const MFLCN_RFCE = 1 << 3;

/** AUTOC: Auto-Negotiation Control (RW, reloaded from EEPROM on reset). */
export const AUTOC = 0x042a0;
/** AUTOC.FLU (bit 0): force link up. */
export const AUTOC_FLU = 1 << 0;
/** AUTOC.10G_PMA_PMD_PARALLEL (bits 8:7): 00 XAUI, 01 KX4, 10 CX4. */
export const AUTOC_10G_PMA_PMD_SHIFT = 7;
/** AUTOC.10G_PMA_PMD_PARALLEL mask, in place (0x180). */
export const AUTOC_10G_PMA_PMD_MASK = 0x3 << 7;
/** AUTOC.10G_PMA_PMD_PARALLEL = XAUI (in place). */
export const AUTOC_10G_XAUI = 0 << 7;
/** AUTOC.1G_PMA_PMD (bit 9). */
export const AUTOC_1G_PMA_PMD = 1 << 9;
/** AUTOC.RESTART_AN (bit 12): apply the link settings and restart bring-up. */
export const AUTOC_AN_RESTART = 1 << 12;
/** AUTOC.LMS (bits 15:13): link mode select. */
export const AUTOC_LMS_SHIFT = 13;
/** AUTOC.LMS mask, in place (0xE000). */
export const AUTOC_LMS_MASK = 0x7 << 13;
/** AUTOC.LMS = 1G, no autonegotiation (in place). */
export const AUTOC_LMS_1G_LINK_NO_AN = 0 << 13;
/** AUTOC.LMS = 10G parallel, no autonegotiation (in place). */
export const AUTOC_LMS_10G_LINK_NO_AN = 1 << 13;
/** AUTOC.LMS = 1G with autonegotiation (in place). */
export const AUTOC_LMS_1G_AN = 2 << 13;
/** AUTOC.LMS = 10G serial (SFI), the mode ixy selects (in place, 0x6000). */
export const AUTOC_LMS_10G_SERIAL = 3 << 13;
/** AUTOC.LMS = KX4/KX/KR autonegotiation (in place). */
export const AUTOC_LMS_KX4_KX_KR = 4 << 13;
/** AUTOC.KR_SUPP (bit 16). */
export const AUTOC_KR_SUPP = 1 << 16;
/** AUTOC.KX_SUPP (bit 30). */
export const AUTOC_KX_SUPP = 1 << 30;
/** AUTOC.KX4_SUPP (bit 31). */
export const AUTOC_KX4_SUPP = 0x80000000;

/** LINKS: Link Status (RO). */
export const LINKS = 0x042a4;
/** LINKS.LINK_STATUS (bit 7, latched low). */
export const LINKS_LINK_STATUS = 1 << 7;
/** LINKS.MAC_LINK_MODE (bits 27:26). */
export const LINKS_MAC_LINK_MODE_SHIFT = 26;
/** LINKS.LINK_SPEED (bits 29:28): 01 100M, 10 1G, 11 10G. */
export const LINKS_SPEED_SHIFT = 28;
/** LINKS.LINK_SPEED mask, in place. */
export const LINKS_SPEED_MASK = 0x3 << 28;
/** LINKS.LINK_SPEED = 100 Mb/s (in place). */
export const LINKS_SPEED_100M = 1 << 28;
/** LINKS.LINK_SPEED = 1 Gb/s (in place). */
export const LINKS_SPEED_1G = 2 << 28;
/** LINKS.LINK_SPEED = 10 Gb/s (in place). */
export const LINKS_SPEED_10G = 3 << 28;
/** LINKS.LINK_UP (bit 30): the bit drivers poll. */
export const LINKS_UP = 1 << 30;
/** LINKS.AN_COMPLETE (bit 31). */
export const LINKS_AN_COMPLETE = 0x80000000;

/** AUTOC2: Auto-Negotiation Control 2 (RW, reloaded from EEPROM on reset). */
export const AUTOC2 = 0x042a8;
/** AUTOC2.10G_PMA_PMD_SERIAL (bits 17:16): 00 KR, 10 SFI. */
export const AUTOC2_10G_SERIAL_PMA_PMD_SHIFT = 16;
/** AUTOC2.10G_PMA_PMD_SERIAL = SFI (in place). */
export const AUTOC2_10G_SFI = 2 << 16;

/** FCCFG: Flow Control Configuration (RW). TFCE in bits 4:3. */
export const FCCFG = 0x03d00;
/** FCCFG.TFCE = link flow control (in place). */
export const FCCFG_TFCE_802_3X = 1 << 3;
/** FCRTL(n), n = 0..7: Flow Control Receive Threshold Low (RW). */
export const FCRTL = (n: number): number => 0x03220 + 4 * n;
/** FCRTH(n), n = 0..7: Flow Control Receive Threshold High (RW). */
export const FCRTH = (n: number): number => 0x03260 + 4 * n;
/** FCRTL.XONE / FCRTH.FCEN (bit 31). */
export const FCRT_ENABLE = 0x80000000;
