/**
 * Statistics registers (82599 datasheet §8.2.3.23). All are clear-on-read (RC) and 32 bits
 * wide unless noted; octet counters are 36 bits split into an L register (bits 31:0) and an H
 * register (bits 3:0 = counter bits 35:32). Read L before H.
 */

/** CRCERRS: CRC error count (RC). */
export const CRCERRS = 0x04000;
/** ILLERRC: illegal byte error count (RC). */
export const ILLERRC = 0x04004;
/** ERRBC: error byte count (RC). */
export const ERRBC = 0x04008;
/** MSPDC: MAC short packet discard count (RC). */
export const MSPDC = 0x04010;
/** MPC(n), n = 0..7: missed packets, RX packet buffer n full (RC). */
export const MPC = (n: number): number => 0x03fa0 + 4 * n;
/** Number of MPC registers. */
export const MPC_COUNT = 8;
/** MLFC: MAC local fault count (RC). */
export const MLFC = 0x04034;
/** MRFC: MAC remote fault count (RC). */
export const MRFC = 0x04038;
/** RLEC: receive length error count (RC). */
export const RLEC = 0x04040;
/** LXONTXC: link XON transmitted (RC). */
export const LXONTXC = 0x03f60;
/** LXOFFTXC: link XOFF transmitted (RC). */
export const LXOFFTXC = 0x03f68;
/** LXONRXCNT: link XON received (RC). */
export const LXONRXCNT = 0x041a4;
/** LXOFFRXCNT: link XOFF received (RC). */
export const LXOFFRXCNT = 0x041a8;
/** PXONTXC(n), n = 0..7: priority XON transmitted (RC). */
export const PXONTXC = (n: number): number => 0x03f00 + 4 * n;
/** PXOFFTXC(n), n = 0..7: priority XOFF transmitted (RC). */
export const PXOFFTXC = (n: number): number => 0x03f20 + 4 * n;
/** PXONRXCNT(n), n = 0..7: priority XON received (RC). */
export const PXONRXCNT = (n: number): number => 0x04140 + 4 * n;
/** PXOFFRXCNT(n), n = 0..7: priority XOFF received (RC). */
export const PXOFFRXCNT = (n: number): number => 0x04160 + 4 * n;
/** PRC64: good frames received, 64 bytes (RC). */
export const PRC64 = 0x0405c;
/** PRC127: good frames received, 65..127 bytes (RC). */
export const PRC127 = 0x04060;
/** PRC255: good frames received, 128..255 bytes (RC). */
export const PRC255 = 0x04064;
/** PRC511: good frames received, 256..511 bytes (RC). */
export const PRC511 = 0x04068;
/** PRC1023: good frames received, 512..1023 bytes (RC). */
export const PRC1023 = 0x0406c;
/** PRC1522: good frames received, 1024..max bytes (RC). */
export const PRC1522 = 0x04070;
/** GPRC: good packets received (RC). */
export const GPRC = 0x04074;
/** BPRC: broadcast packets received (RC). */
export const BPRC = 0x04078;
/** MPRC: multicast packets received (RC). */
export const MPRC = 0x0407c;
/** GPTC: good packets transmitted (RC). */
export const GPTC = 0x04080;
/** GORCL: good octets received, bits 31:0 (RC). */
export const GORCL = 0x04088;
/** GORCH: good octets received, bits 35:32 in 3:0 (RC). */
export const GORCH = 0x0408c;
/** GOTCL: good octets transmitted, bits 31:0 (RC). */
export const GOTCL = 0x04090;
/** GOTCH: good octets transmitted, bits 35:32 in 3:0 (RC). */
export const GOTCH = 0x04094;
/** Mask of the valid bits of an octet counter's H register (36-bit counters). */
export const OCTET_HIGH_MASK = 0xf;
/** RNBC(n), n = 0..7: receive no buffers (RC; 82598 semantics). */
export const RNBC = (n: number): number => 0x03fc0 + 4 * n;
/** RUC: receive undersize count (RC). */
export const RUC = 0x040a4;
/** RFC: receive fragment count (RC). */
export const RFC = 0x040a8;
/** ROC: receive oversize count (RC). */
export const ROC = 0x040ac;
/** RJC: receive jabber count (RC). */
export const RJC = 0x040b0;
/** MNGPRC: management packets received (RC). */
export const MNGPRC = 0x040b4;
/** MNGPDC: management packets dropped (RC). */
export const MNGPDC = 0x040b8;
/** MNGPTC: management packets transmitted (RC). */
export const MNGPTC = 0x0cf90;
/** TORL: total octets received, bits 31:0 (RC). */
export const TORL = 0x040c0;
/** TORH: total octets received, bits 35:32 in 3:0 (RC). */
export const TORH = 0x040c4;
/** TPR: total packets received (RC). */
export const TPR = 0x040d0;
/** TPT: total packets transmitted (RC). */
export const TPT = 0x040d4;
/** PTC64: frames transmitted, 64 bytes (RC). */
export const PTC64 = 0x040d8;
/** PTC127: frames transmitted, 65..127 bytes (RC). */
export const PTC127 = 0x040dc;
/** PTC255: frames transmitted, 128..255 bytes (RC). */
export const PTC255 = 0x040e0;
/** PTC511: frames transmitted, 256..511 bytes (RC). */
export const PTC511 = 0x040e4;
/** PTC1023: frames transmitted, 512..1023 bytes (RC). */
export const PTC1023 = 0x040e8;
/** PTC1522: frames transmitted, 1024..max bytes (RC). */
export const PTC1522 = 0x040ec;
/** MPTC: multicast packets transmitted (RC). */
export const MPTC = 0x040f0;
/** BPTC: broadcast packets transmitted (RC). */
export const BPTC = 0x040f4;
/** XEC: XSUM (L3/L4 checksum) error count (RC). */
export const XEC = 0x04120;
/** RXNFGPC: good RX packets before filtering (RC). */
export const RXNFGPC = 0x041b0;
/** RXNFGBCL: good RX bytes before filtering, low (RC). */
export const RXNFGBCL = 0x041b4;
/** RXNFGBCH: good RX bytes before filtering, high (RC). */
export const RXNFGBCH = 0x041b8;
/** RXDGPC: packets DMA'd to host (RC). */
export const RXDGPC = 0x02f50;
/** RXDGBCL: bytes DMA'd to host, low (RC). */
export const RXDGBCL = 0x02f54;
/** RXDGBCH: bytes DMA'd to host, high (RC). */
export const RXDGBCH = 0x02f58;
/** TXDGPC: packets fetched by TX DMA (RC). */
export const TXDGPC = 0x087a0;
/** TXDGBCL: bytes fetched by TX DMA, low (RC). */
export const TXDGBCL = 0x087a4;
/** TXDGBCH: bytes fetched by TX DMA, high (RC). */
export const TXDGBCH = 0x087a8;
/** SSVPC: switch security violation packets (RC). */
export const SSVPC = 0x08780;
/** FDIRMATCH: Flow Director filter matches (RC). */
export const FDIRMATCH = 0x0ee58;
/** FDIRMISS: Flow Director filter misses (RC). */
export const FDIRMISS = 0x0ee5c;

/** RQSMR(n), n = 0..31: RX queue 4n+k -> stats slot in bits (8k+3):(8k) (RW, not a counter). */
export const RQSMR = (n: number): number => 0x02300 + 4 * n;
/** TQSM(n), n = 0..31: TX queue 4n+k -> stats slot in bits (8k+3):(8k) (RW, not a counter). */
export const TQSM = (n: number): number => 0x08600 + 4 * n;
/** Number of per-queue statistics slots. */
export const QSTAT_SLOTS = 16;

/** QPRC(s), s = 0..15: packets received in stats slot s (RC). */
export const QPRC = (s: number): number => 0x01030 + 0x40 * s;
/** QPRDC(s), s = 0..15: packets dropped for lack of descriptors in slot s (RC). */
export const QPRDC = (s: number): number => 0x01430 + 0x40 * s;
/** QBRC_L(s), s = 0..15: bytes received in slot s, bits 31:0 (RC). */
export const QBRC_L = (s: number): number => 0x01034 + 0x40 * s;
/** QBRC_H(s), s = 0..15: bytes received in slot s, bits 35:32 (RC). */
export const QBRC_H = (s: number): number => 0x01038 + 0x40 * s;
/** QPTC(s), s = 0..15: packets transmitted in slot s (RC). */
export const QPTC = (s: number): number => 0x08680 + 4 * s;
/** QPTC at the address Linux uses (0x06030 + 0x40s); alias status unconfirmed. */
export const QPTC_ALIAS = (s: number): number => 0x06030 + 0x40 * s;
/** QBTC_L(s), s = 0..15: bytes transmitted in slot s, bits 31:0 (RC). */
export const QBTC_L = (s: number): number => 0x08700 + 8 * s;
/** QBTC_H(s), s = 0..15: bytes transmitted in slot s, bits 35:32 (RC). */
export const QBTC_H = (s: number): number => 0x08704 + 8 * s;
