/**
 * Advanced RX and TX descriptor layouts (82599 datasheet §7.1.6, §7.2.3). A descriptor is 16
 * bytes = four little-endian u32 words; word indices below are relative to the descriptor
 * start, so a ring viewed as a Uint32Array holds descriptor i at words 4i..4i+3.
 */

/** Size of one descriptor in bytes (RX and TX, legacy and advanced). */
export const DESC_BYTES = 16;
/** Size of one descriptor in u32 words. */
export const DESC_WORDS = 4;
/** Ring length granularity in bytes (RDLEN/TDLEN must be a multiple of it). */
export const RING_ALIGN_BYTES = 128;

// ---- Advanced RX, read format (software -> hardware) ----
/** RX read: packet buffer address bits 31:0. */
export const RXD_PKT_ADDR_LO = 0;
/** RX read: packet buffer address bits 63:32. */
export const RXD_PKT_ADDR_HI = 1;
/** RX read: header buffer address bits 31:0; bit 0 is where DD lands, write it 0. */
export const RXD_HDR_ADDR_LO = 2;
/** RX read: header buffer address bits 63:32. */
export const RXD_HDR_ADDR_HI = 3;

// ---- Advanced RX, write-back format (hardware -> software, all 16 bytes rewritten) ----
/** RX write-back word 0: RSS type, packet type, HDR_LEN, SPH. */
export const RXD_WB_INFO = 0;
/** RX write-back word 1: RSS hash (RXCSUM.PCSD = 1) or IP id + checksum. */
export const RXD_WB_RSS_HASH = 1;
/** RX write-back word 2: extended status (19:0) and errors (31:20). */
export const RXD_WB_STATUS_ERROR = 2;
/** RX write-back word 3: PKT_LEN (15:0) and VLAN tag (31:16). */
export const RXD_WB_LEN_VLAN = 3;

/** RX write-back DW0 RSS type (bits 3:0). */
export const RXDADV_RSSTYPE_MASK = 0xf;
/** RSS type: no hash computed. */
export const RXDADV_RSSTYPE_NONE = 0;
/** RSS type: TCP/IPv4. */
export const RXDADV_RSSTYPE_IPV4_TCP = 1;
/** RSS type: IPv4. */
export const RXDADV_RSSTYPE_IPV4 = 2;
/** RSS type: TCP/IPv6. */
export const RXDADV_RSSTYPE_IPV6_TCP = 3;
/** RSS type: IPv6 with extension headers. */
export const RXDADV_RSSTYPE_IPV6_EX = 4;
/** RSS type: IPv6. */
export const RXDADV_RSSTYPE_IPV6 = 5;
/** RSS type: TCP/IPv6 with extension headers. */
export const RXDADV_RSSTYPE_IPV6_TCP_EX = 6;
/** RSS type: UDP/IPv4. */
export const RXDADV_RSSTYPE_IPV4_UDP = 7;
/** RSS type: UDP/IPv6. */
export const RXDADV_RSSTYPE_IPV6_UDP = 8;
/** RSS type: UDP/IPv6 with extension headers. */
export const RXDADV_RSSTYPE_IPV6_UDP_EX = 9;
/** RX write-back DW0 packet type (bits 16:4) shift. */
export const RXDADV_PKTTYPE_SHIFT = 4;
/** RX write-back DW0 packet type mask (after shifting). */
export const RXDADV_PKTTYPE_MASK = 0x1fff;
/** Packet type bit: IPv4 header present. */
export const RXDADV_PKTTYPE_IPV4 = 1 << 4;
/** Packet type bit: IPv6 header present. */
export const RXDADV_PKTTYPE_IPV6 = 1 << 6;
/** Packet type bit: TCP. */
export const RXDADV_PKTTYPE_TCP = 1 << 8;
/** Packet type bit: UDP. */
export const RXDADV_PKTTYPE_UDP = 1 << 9;
/** Packet type bit 15 (in DW0): EtherType filter match. */
export const RXDADV_PKTTYPE_ETQF = 1 << 15;
/** RX write-back DW0 HDR_LEN (bits 30:21) shift. */
export const RXDADV_HDRLEN_SHIFT = 21;
/** RX write-back DW0 SPH (bit 31). */
export const RXDADV_SPH = 0x80000000;

/** RX status DD (bit 0): the descriptor is done; the frame data is in memory. */
export const RXDADV_STAT_DD = 1 << 0;
/** RX status EOP (bit 1): last descriptor of a frame. */
export const RXDADV_STAT_EOP = 1 << 1;
/** RX status FLM (bit 2): Flow Director match. */
export const RXDADV_STAT_FLM = 1 << 2;
/** RX status VP (bit 3): VLAN packet. */
export const RXDADV_STAT_VP = 1 << 3;
/** RX status UDPCS (bit 4). */
export const RXDADV_STAT_UDPCS = 1 << 4;
/** RX status L4CS (bit 5): L4 checksum computed. */
export const RXDADV_STAT_L4CS = 1 << 5;
/** RX status IPCS (bit 6): IPv4 checksum computed. */
export const RXDADV_STAT_IPCS = 1 << 6;
/** RX status PIF (bit 7): non-unicast / inexact match. */
export const RXDADV_STAT_PIF = 1 << 7;
/** RX status LB (bit 18): looped-back frame. */
export const RXDADV_STAT_LB = 1 << 18;
/** RX error RXE (bit 29): MAC error (CRC, length, symbol). */
export const RXDADV_ERR_RXE = 1 << 29;
/** RX error L4E (bit 30): TCP/UDP checksum error. */
export const RXDADV_ERR_L4E = 1 << 30;
/** RX error IPE (bit 31): IPv4 header checksum error. */
export const RXDADV_ERR_IPE = 0x80000000;
/** RX write-back DW3 PKT_LEN mask (bits 15:0). */
export const RXDADV_LEN_MASK = 0xffff;
/** RX write-back DW3 VLAN tag shift (bits 31:16). */
export const RXDADV_VLAN_SHIFT = 16;

// ---- Advanced TX data descriptor, read format ----
/** TX read: buffer address bits 31:0. */
export const TXD_ADDR_LO = 0;
/** TX read: buffer address bits 63:32. */
export const TXD_ADDR_HI = 1;
/** TX read: cmd_type_len (DTALEN 15:0, DTYP 23:20, DCMD 31:24). */
export const TXD_CMD_TYPE_LEN = 2;
/** TX read: olinfo_status (STA 3:0, IDX, CC, POPTS, PAYLEN 31:14). */
export const TXD_OLINFO_STATUS = 3;
/** TX write-back: word holding STA (bit 0 = DD). */
export const TXD_WB_STATUS = 3;

/** TX DTALEN mask (bits 15:0): bytes in this buffer. */
export const ADVTXD_DTALEN_MASK = 0xffff;
/** TX MAC.1588 (bit 19): timestamp this frame. */
export const ADVTXD_MAC_TSTAMP = 1 << 19;
/** TX DTYP (bits 23:20) mask. */
export const ADVTXD_DTYP_MASK = 0xf << 20;
/** TX DTYP = context descriptor (0010). */
export const ADVTXD_DTYP_CTXT = 0x2 << 20;
/** TX DTYP = data descriptor (0011, 0x00300000). */
export const ADVTXD_DTYP_DATA = 0x3 << 20;
/** TX DCMD.EOP (bit 24): last descriptor of the frame. */
export const ADVTXD_DCMD_EOP = 1 << 24;
/** TX DCMD.IFCS (bit 25): insert FCS. */
export const ADVTXD_DCMD_IFCS = 1 << 25;
/** TX DCMD.RS (bit 27): report status (write back DD). */
export const ADVTXD_DCMD_RS = 1 << 27;
/** TX DCMD.DEXT (bit 29): advanced descriptor. */
export const ADVTXD_DCMD_DEXT = 1 << 29;
/** TX DCMD.VLE (bit 30): insert VLAN tag. */
export const ADVTXD_DCMD_VLE = 1 << 30;
/** TX DCMD.TSE (bit 31): TCP segmentation. */
export const ADVTXD_DCMD_TSE = 0x80000000;
/** TX STA.DD (bit 0 of olinfo_status in write-back). */
export const ADVTXD_STAT_DD = 1 << 0;
/** TX olinfo IDX (bits 6:4) shift. */
export const ADVTXD_IDX_SHIFT = 4;
/** TX olinfo CC (bit 7). */
export const ADVTXD_CC = 1 << 7;
/** TX POPTS.IXSM (bit 8): insert IP checksum. */
export const ADVTXD_POPTS_IXSM = 1 << 8;
/** TX POPTS.TXSM (bit 9): insert L4 checksum. */
export const ADVTXD_POPTS_TXSM = 1 << 9;
/** TX PAYLEN shift (bits 31:14 of olinfo_status). */
export const ADVTXD_PAYLEN_SHIFT = 14;
/**
 * cmd_type_len of a single-descriptor frame without offloads, before OR-ing in the length:
 * DEXT | RS | IFCS | EOP | DTYP data = 0x2B300000.
 */
export const ADVTXD_CMD_SINGLE =
  ADVTXD_DCMD_DEXT | ADVTXD_DCMD_RS | ADVTXD_DCMD_IFCS | ADVTXD_DCMD_EOP | ADVTXD_DTYP_DATA;

// ---- Advanced TX context descriptor (DTYP = 0010) ----
/** TX context DW0 IPLEN (bits 8:0). */
export const ADVTXD_CTX_IPLEN_MASK = 0x1ff;
/** TX context DW0 MACLEN (bits 15:9) shift. */
export const ADVTXD_CTX_MACLEN_SHIFT = 9;
/** TX context DW0 VLAN (bits 31:16) shift. */
export const ADVTXD_CTX_VLAN_SHIFT = 16;
/** TX context DW2 TUCMD.IPV4 (bit 10). */
export const ADVTXD_TUCMD_IPV4 = 1 << 10;
/** TX context DW2 TUCMD.L4T = TCP (bits 12:11 = 01). */
export const ADVTXD_TUCMD_L4T_TCP = 1 << 11;
/** TX context DW2 TUCMD.L4T = SCTP (bits 12:11 = 10). */
export const ADVTXD_TUCMD_L4T_SCTP = 2 << 11;
/** TX context DW3 L4LEN (bits 15:8) shift. */
export const ADVTXD_CTX_L4LEN_SHIFT = 8;
/** TX context DW3 MSS (bits 31:16) shift. */
export const ADVTXD_CTX_MSS_SHIFT = 16;

// ---- Legacy formats (for a device model; the driver uses advanced descriptors) ----
/** Legacy RX: word holding length (15:0) and checksum (31:16). */
export const LEGACY_RXD_LEN_WORD = 2;
/** Legacy RX: word holding status (7:0), errors (15:8) and VLAN (31:16). */
export const LEGACY_RXD_STATUS_WORD = 3;
/** Legacy TX: word holding status (3:0 with DD in bit 0), CSS and VLAN. */
export const LEGACY_TXD_STATUS_WORD = 3;
/** Legacy TX CMD.IC (bit 26 of word 2): insert checksum. */
export const LEGACY_TXD_CMD_IC = 1 << 26;
