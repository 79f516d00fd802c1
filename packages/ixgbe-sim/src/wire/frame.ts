/*
 * The generator's frame format, shared by gen and sink. A frame is Ethernet II + IPv4 (20-byte
 * header, valid header checksum) + UDP (checksum 0, allowed for IPv4) + an 18-byte stamp, then
 * a fixed byte pattern up to the frame size. Sizes exclude the 4-byte CRC: 60 here is a
 * 64-byte frame on the wire. All multi-byte fields are big-endian (network order).
 *
 *   0  dst MAC (6)   6 src MAC (6)   12 ethertype 0x0800
 *   14 IPv4 header   34 UDP header   42 stamp:
 *   42 magic u16 0xDA7A  44 generator id u8  45 stamp version u8 (1)  46 flow id u16
 *   48 sequence u32 (per generator+flow)  52 timestamp u32 (low 32 bits of Bun.nanoseconds)
 *   56 checksum u32      60.. pattern byte i = (i * 7 + 3) & 0xff
 *
 * The checksum covers bytes [12, 14 + IPv4 total length) with its own 4 bytes read as zero.
 * Bytes 0..11 (both MACs) are outside it because forwarders rewrite them; that includes the
 * byte a forwarder "touches" to pull the frame into cache (ixy's forwarder increments byte 1).
 * Checksum: A = sum of bytes, B = sum of byte_i * (end - i), both mod 65521; value B << 16 | A.
 * Because B weighs each byte by position, the generator patches the sum for seq and timestamp
 * without re-reading the frame, and the sink still catches swapped or shifted bytes.
 */

/** Smallest generated frame (bytes, without CRC): headers + stamp. 64 bytes on the wire. */
export const MIN_FRAME = 60;
/** Largest generated frame (bytes, without CRC). */
export const MAX_FRAME = 9000;
/** Stamp magic at byte 42. */
export const MAGIC = 0xda7a;
/** Stamp format version at byte 45. */
export const STAMP_VERSION = 1;
/** Byte offsets of the stamp fields. */
export const OFF_MAGIC = 42;
export const OFF_GEN = 44;
export const OFF_VERSION = 45;
export const OFF_FLOW = 46;
export const OFF_SEQ = 48;
export const OFF_TS = 52;
export const OFF_CSUM = 56;
/** First byte covered by the checksum (the ethertype). */
export const CSUM_START = 12;
const MOD = 65521;

/** Parses "02:00:00:00:00:01" into 6 bytes; returns null when malformed. */
export function parseMac(text: string): Uint8Array | null {
  const parts = text.split(/[:-]/);
  if (parts.length !== 6) return null;
  const mac = new Uint8Array(6);
  for (let i = 0; i < 6; i++) {
    const part = parts[i] as string;
    if (!/^[0-9a-fA-F]{2}$/.test(part)) return null;
    mac[i] = Number.parseInt(part, 16);
  }
  return mac;
}

/** Formats 6 bytes as "aa:bb:cc:dd:ee:ff". */
export function formatMac(mac: Uint8Array): string {
  return Array.from(mac, (b) => b.toString(16).padStart(2, "0")).join(":");
}

/** IPv4 header checksum of the 20 bytes at `off` (the checksum field must be zero). */
export function ipv4Checksum(f: Uint8Array, off: number): number {
  let sum = 0;
  for (let i = 0; i < 20; i += 2) sum += ((f[off + i] as number) << 8) | (f[off + i + 1] as number);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

/**
 * The stamp checksum of frame bytes f[base + 12 .. base + end) (end = 14 + IPv4 total length),
 * reading the checksum field as zero. Allocation-free.
 */
export function stampChecksum(f: Uint8Array, base: number, end: number): number {
  let a = 0;
  let b = 0;
  for (let i = base + CSUM_START, stop = base + OFF_CSUM; i < stop; i++) {
    a += f[i] as number;
    b += a;
  }
  b += 4 * a; // the 4 checksum bytes count as zeros: b still grows by a per position
  a %= MOD;
  b %= MOD;
  for (let i = base + OFF_CSUM + 4, stop = base + end; i < stop; ) {
    // Reduce every 1024 bytes: a < 65521 + 1024 * 255 and b < 2^31 stay small integers.
    const chunk = Math.min(stop, i + 1024);
    for (; i < chunk; i++) {
      a += f[i] as number;
      b += a;
    }
    a %= MOD;
    b %= MOD;
  }
  return ((b << 16) | a) >>> 0;
}

/** Modulus of both checksum halves (the largest prime below 2^16, as in Adler-32). */
export const CSUM_MOD = MOD;

/** Per-flow addressing of generated traffic: 5-tuples spread over IPs and ports for RSS. */
export function flowTuple(flow: number): {
  src: number;
  dst: number;
  sport: number;
  dport: number;
} {
  return {
    src: (198 << 24) | (18 << 16) | (flow & 0xffff), // 198.18.x.y
    dst: (198 << 24) | (19 << 16) | ((flow * 0x9e37) & 0xffff), // 198.19.x.y, scrambled
    sport: 1024 + (flow % 60000),
    dport: 4000 + ((flow * 13) & 0x3ff),
  };
}

/** Options for one flow's frame template. */
export interface TemplateOptions {
  size: number;
  dstMac: Uint8Array;
  srcMac: Uint8Array;
  genId: number;
  flow: number;
}

/** Builds a full frame for a flow with seq = timestamp = checksum = 0. Setup only. */
export function buildTemplate(o: TemplateOptions): Uint8Array {
  const f = new Uint8Array(o.size);
  const dv = new DataView(f.buffer);
  const t = flowTuple(o.flow);
  f.set(o.dstMac, 0);
  f.set(o.srcMac, 6);
  dv.setUint16(12, 0x0800);
  f[14] = 0x45; // IPv4, 5-word header
  dv.setUint16(16, o.size - 14); // total length
  dv.setUint16(20, 0x4000); // DF, no fragments: the identification field stays 0
  f[22] = 64; // TTL
  f[23] = 17; // UDP
  dv.setUint32(26, t.src >>> 0);
  dv.setUint32(30, t.dst >>> 0);
  dv.setUint16(24, ipv4Checksum(f, 14));
  dv.setUint16(34, t.sport);
  dv.setUint16(36, t.dport);
  dv.setUint16(38, o.size - 34); // UDP length; checksum at 40 stays 0
  dv.setUint16(OFF_MAGIC, MAGIC);
  f[OFF_GEN] = o.genId;
  f[OFF_VERSION] = STAMP_VERSION;
  dv.setUint16(OFF_FLOW, o.flow);
  for (let i = MIN_FRAME; i < o.size; i++) f[i] = (i * 7 + 3) & 0xff;
  return f;
}

/** Writes a u32 big-endian at f[at]. */
export function putU32(f: Uint8Array, at: number, v: number): void {
  f[at] = v >>> 24;
  f[at + 1] = (v >>> 16) & 0xff;
  f[at + 2] = (v >>> 8) & 0xff;
  f[at + 3] = v & 0xff;
}

/**
 * Byte-swaps a u32: a big-endian field value as a little-endian 32-bit view holds it (and
 * back). Returns an int32.
 */
export function bswap32(v: number): number {
  return ((v & 0xff) << 24) | ((v & 0xff00) << 8) | ((v >>> 8) & 0xff00) | (v >>> 24);
}

/** Sum of the 4 bytes of u32 `v`: its share of checksum half A (at most 1020). */
export function byteSum(v: number): number {
  return (v >>> 24) + ((v >>> 16) & 0xff) + ((v >>> 8) & 0xff) + (v & 0xff);
}

/**
 * Share of u32 `v`, stored big-endian, in checksum half B when its first byte has weight `w`
 * (the distance from that byte to the end of the checksummed range), mod CSUM_MOD.
 */
export function weightedSum(v: number, w: number): number {
  const b0 = v >>> 24;
  const b1 = (v >>> 16) & 0xff;
  const b2 = (v >>> 8) & 0xff;
  const b3 = v & 0xff;
  return (b0 * w + b1 * (w - 1) + b2 * (w - 2) + b3 * (w - 3)) % MOD;
}

/** Reads a u32 big-endian at f[at]. */
export function getU32(f: Uint8Array, at: number): number {
  return (
    (((f[at] as number) << 24) |
      ((f[at + 1] as number) << 16) |
      ((f[at + 2] as number) << 8) |
      (f[at + 3] as number)) >>>
    0
  );
}
