/**
 * RSS registers (82599 datasheet §7.1.2.8, §8.2.3.7): MRQC, the 40-byte key RSSRK and the
 * 128-entry redirection table RETA. Both the 82599 addresses and the 82598-compatible ones
 * (used by Linux/DPDK) are given; a device decodes both onto the same storage.
 */

/** MRQC: Multiple Receive Queues Command (RW). */
export const MRQC = 0x0ec80;
/** MRQC alias at the 82598-compatible address. */
export const MRQC_ALIAS = 0x05818;
/** MRQC.MRQE (bits 3:0) mask. */
export const MRQC_MRQE_MASK = 0xf;
/** MRQC.MRQE = RSS only. */
export const MRQC_RSSEN = 0x1;
/** MRQC hash field: TCP/IPv4 (bit 16). */
export const MRQC_RSS_FIELD_IPV4_TCP = 1 << 16;
/** MRQC hash field: IPv4 (bit 17). */
export const MRQC_RSS_FIELD_IPV4 = 1 << 17;
/** MRQC hash field: IPv6 (bit 20). */
export const MRQC_RSS_FIELD_IPV6 = 1 << 20;
/** MRQC hash field: TCP/IPv6 (bit 21). */
export const MRQC_RSS_FIELD_IPV6_TCP = 1 << 21;
/** MRQC hash field: UDP/IPv4 (bit 22). */
export const MRQC_RSS_FIELD_IPV4_UDP = 1 << 22;
/** MRQC hash field: UDP/IPv6 (bit 23). */
export const MRQC_RSS_FIELD_IPV6_UDP = 1 << 23;

/** RQTC: RSS queues per traffic class (RW, DCB + RSS only). */
export const RQTC = 0x0ec70;

/** RSSRK(n), n = 0..9: RSS key (RW); key byte 4n in bits 7:0 ... 4n+3 in 31:24. */
export const RSSRK = (n: number): number => 0x0eb80 + 4 * n;
/** RSSRK alias at the 82598-compatible address. */
export const RSSRK_ALIAS = (n: number): number => 0x05c80 + 4 * n;
/** Number of RSSRK registers (40-byte key). */
export const RSSRK_COUNT = 10;

/** RETA(n), n = 0..31: redirection table (RW); entry 4n+k in bits (8k+3):(8k). */
export const RETA = (n: number): number => 0x0eb00 + 4 * n;
/** RETA alias at the 82598-compatible address. */
export const RETA_ALIAS = (n: number): number => 0x05c00 + 4 * n;
/** Number of RETA registers. */
export const RETA_COUNT = 32;
/** Number of RETA entries (the hash's low 7 bits select one). */
export const RETA_ENTRIES = 128;
/** Mask of the queue index within one 8-bit RETA entry (4 bits on 82599). */
export const RETA_ENTRY_MASK = 0xf;
