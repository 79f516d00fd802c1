/**
 * Layer-2 receive filters (82599 datasheet §7.1.1.1, §8.2.3.7): FCTRL switches, the unicast
 * address table RAL/RAH (two address sets for entries 0..15), multicast and VLAN tables.
 */

/** FCTRL: Filter Control (RW). */
export const FCTRL = 0x05080;
/** FCTRL.SBP (bit 1): store bad packets. */
export const FCTRL_SBP = 1 << 1;
/** FCTRL.MPE (bit 8): multicast promiscuous. */
export const FCTRL_MPE = 1 << 8;
/** FCTRL.UPE (bit 9): unicast promiscuous. */
export const FCTRL_UPE = 1 << 9;
/** FCTRL.BAM (bit 10): accept broadcast. */
export const FCTRL_BAM = 1 << 10;

/** VLNCTRL: VLAN Control (RW). */
export const VLNCTRL = 0x05088;
/** VLNCTRL.VET (bits 15:0): VLAN ethertype. */
export const VLNCTRL_VET_MASK = 0xffff;
/** VLNCTRL.CFI (bit 28). */
export const VLNCTRL_CFI = 1 << 28;
/** VLNCTRL.CFIEN (bit 29). */
export const VLNCTRL_CFIEN = 1 << 29;
/** VLNCTRL.VFE (bit 30): VLAN filter enable. */
export const VLNCTRL_VFE = 1 << 30;

/** MCSTCTRL: Multicast Control (RW). */
export const MCSTCTRL = 0x05090;
/** MCSTCTRL.MO (bits 1:0): which 12 DA bits index MTA. */
export const MCSTCTRL_MO_MASK = 0x3;
/** MCSTCTRL.MFE (bit 2): MTA filtering enable. */
export const MCSTCTRL_MFE = 1 << 2;

/** MTA(n), n = 0..127: Multicast Table Array (RW). */
export const MTA = (n: number): number => 0x05200 + 4 * n;
/** Number of MTA registers. */
export const MTA_COUNT = 128;

/** RAL(n), n = 0..127: Receive Address Low (RW): MAC bytes 0..3, byte 0 in bits 7:0. */
export const RAL = (n: number): number => 0x0a200 + 8 * n;
/** RAH(n), n = 0..127: Receive Address High (RW): MAC bytes 4..5 in 15:0, AV in bit 31. */
export const RAH = (n: number): number => 0x0a204 + 8 * n;
/** RAL alias for entries 0..15 (0x05400 + 8n), the address ixy uses. */
export const RAL_ALIAS = (n: number): number => 0x05400 + 8 * n;
/** RAH alias for entries 0..15 (0x05404 + 8n). */
export const RAH_ALIAS = (n: number): number => 0x05404 + 8 * n;
/** RAH.AV (bit 31): the entry is valid. */
export const RAH_AV = 0x80000000;
/** Number of receive address entries. */
export const RAR_COUNT = 128;

/** MPSAR(n), n = 0..255: MAC pool select (RW), two per receive address entry. */
export const MPSAR = (n: number): number => 0x0a600 + 4 * n;
/** PFUTA(n), n = 0..127: unicast table array (RW, VT mode). */
export const PFUTA = (n: number): number => 0x0f400 + 4 * n;
/** VFTA(n), n = 0..127: VLAN filter table array (RW). */
export const VFTA = (n: number): number => 0x0a000 + 4 * n;
/** Number of VFTA registers. */
export const VFTA_COUNT = 128;
