/*
 * Receive-side scaling and packet typing (82599 datasheet §7.1.2.8, fact sheet §7).
 * classify() parses Ethernet (one optional VLAN tag), IPv4 and IPv6 (no extension headers)
 * and TCP/UDP, picks the hash type MRQC allows, computes the Toeplitz hash over network-order
 * fields and leaves the results in fields (no allocation). queue() maps a hash to a queue
 * through RETA: entry hash & 0x7F, 4-bit queue index.
 */
import * as R from "@dataplane/ixgbe/regs";
import { ToeplitzTable } from "./toeplitz.ts";

/** Packet-type bit for IPv4 with options (DW0 bit 5), not in the shared register map. */
const PKTTYPE_IPV4_EX = 1 << 5;
/** Packet-type bit for IPv6 with extension headers (DW0 bit 7). */
const PKTTYPE_IPV6_EX = 1 << 7;
const W_RSSRK0 = R.RSSRK(0) >>> 2;
const W_RETA0 = R.RETA(0) >>> 2;

const IPPROTO_TCP = 6;
const IPPROTO_UDP = 17;

/** Per-port RSS state: the Toeplitz table and the last classification. */
export class RssUnit {
  readonly toeplitz = new ToeplitzTable();
  /**
   * Hash of the last frame (0 when no hash type applied), as an int32: the descriptor and the
   * RETA lookup take the bits, and a field that is sometimes a double (values >= 2^31) would
   * slow every frame.
   */
  hash = 0;
  /** RSS type of the last frame (RXDADV_RSSTYPE_*). */
  type = 0;
  /** Descriptor DW0 of the last frame: RSS type | packet type. */
  info = 0;

  constructor(private readonly bar: Uint32Array) {}

  /** Reloads the key from RSSRK0..9. */
  loadKey(): void {
    this.toeplitz.setKeyFromRegisters(this.bar, W_RSSRK0);
  }

  /**
   * Classifies the frame in buf[o..o+len). `mrqc` is MRQC; hashing happens only when MRQE
   * selects RSS. Sets hash, type and info.
   */
  classify(buf: Uint8Array, o: number, len: number, mrqc: number): void {
    let et = (buf[o + 12] << 8) | buf[o + 13];
    let l3 = o + 14;
    if ((et === 0x8100 || et === 0x88a8) && len >= 18) {
      et = (buf[o + 16] << 8) | buf[o + 17];
      l3 = o + 18;
    }
    const end = o + len;
    const rss = (mrqc & R.MRQC_MRQE_MASK) === R.MRQC_RSSEN;
    let pkt = 0;
    let type = 0;
    let hash = 0;
    const t = this.toeplitz;
    if (et === 0x0800 && end >= l3 + 20) {
      const ihl = (buf[l3] & 0xf) << 2;
      pkt = ihl > 20 ? R.RXDADV_PKTTYPE_IPV4 | PKTTYPE_IPV4_EX : R.RXDADV_PKTTYPE_IPV4;
      const proto = buf[l3 + 9];
      const frag = (((buf[l3 + 6] & 0x3f) << 8) | buf[l3 + 7]) !== 0; // MF or an offset
      const l4 = l3 + ihl;
      const tcp = !frag && proto === IPPROTO_TCP && end >= l4 + 20;
      const udp = !frag && proto === IPPROTO_UDP && end >= l4 + 8;
      if (tcp) pkt |= R.RXDADV_PKTTYPE_TCP;
      if (udp) pkt |= R.RXDADV_PKTTYPE_UDP;
      if (rss) {
        if (tcp && (mrqc & R.MRQC_RSS_FIELD_IPV4_TCP) !== 0) type = R.RXDADV_RSSTYPE_IPV4_TCP;
        else if (udp && (mrqc & R.MRQC_RSS_FIELD_IPV4_UDP) !== 0) type = R.RXDADV_RSSTYPE_IPV4_UDP;
        else if ((mrqc & R.MRQC_RSS_FIELD_IPV4) !== 0) type = R.RXDADV_RSSTYPE_IPV4;
        if (type !== 0) {
          hash = t.part(buf, l3 + 12, 8, 0);
          if (type !== R.RXDADV_RSSTYPE_IPV4) hash ^= t.part(buf, l4, 4, 8);
        }
      }
    } else if (et === 0x86dd && end >= l3 + 40) {
      const nh = buf[l3 + 6];
      const l4 = l3 + 40;
      const tcp = nh === IPPROTO_TCP && end >= l4 + 20;
      const udp = nh === IPPROTO_UDP && end >= l4 + 8;
      pkt = R.RXDADV_PKTTYPE_IPV6;
      if (!tcp && !udp && nh !== 59) pkt |= PKTTYPE_IPV6_EX; // 59: no next header
      if (tcp) pkt |= R.RXDADV_PKTTYPE_TCP;
      if (udp) pkt |= R.RXDADV_PKTTYPE_UDP;
      if (rss) {
        if (tcp && (mrqc & R.MRQC_RSS_FIELD_IPV6_TCP) !== 0) type = R.RXDADV_RSSTYPE_IPV6_TCP;
        else if (udp && (mrqc & R.MRQC_RSS_FIELD_IPV6_UDP) !== 0) type = R.RXDADV_RSSTYPE_IPV6_UDP;
        else if ((mrqc & R.MRQC_RSS_FIELD_IPV6) !== 0) type = R.RXDADV_RSSTYPE_IPV6;
        if (type !== 0) {
          hash = t.part(buf, l3 + 8, 32, 0);
          if (type !== R.RXDADV_RSSTYPE_IPV6) hash ^= t.part(buf, l4, 4, 32);
        }
      }
    }
    this.hash = hash | 0;
    this.type = type;
    this.info = type | pkt;
  }

  /** Queue for `hash`: RETA entry hash & 0x7F (frames without a hash type use entry 0). */
  queue(hash: number): number {
    const entry = hash & 0x7f;
    return (this.bar[W_RETA0 + (entry >>> 2)] >>> ((entry & 3) << 3)) & R.RETA_ENTRY_MASK;
  }
}
