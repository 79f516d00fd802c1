/*
 * TX offloads of the advanced descriptors (datasheet §7.2.3.2.3 context descriptor, §7.2.4 TCP
 * segmentation, §7.2.5 checksum offload, §7.2.3.2.4 VLE): what Linux's ixgbe asks for by default.
 * A queue keeps two contexts (IDX 0/1), each written by a context descriptor (MACLEN, IPLEN and
 * the VLAN tag in DW0; TUCMD.IPV4 and L4T in DW2; MSS and L4LEN in DW3); a data descriptor with
 * IXSM/TXSM/TSE/VLE uses the context its IDX names. Applied to a frame gathered in staging,
 * never to host memory. Header offsets come from the context, not from parsing the frame, as on
 * the card: a driver that describes the headers wrong gets wrong checksums, as it would there.
 *
 * Checksums: IXSM writes the IPv4 header checksum (the field is zeroed first). TXSM writes the
 * TCP/UDP checksum: the ones' complement sum from the L4 header to the end of the frame, taken
 * with the checksum field as the driver left it (software puts the pseudo-header sum there), then
 * complemented; a UDP result of 0 goes out as 0xFFFF. TSO cuts the payload after
 * MACLEN + IPLEN + L4LEN bytes into MSS-sized segments, each with a copy of the headers: IPv4
 * total length, identification (+1 per segment) and header checksum, IPv6 payload length, the
 * TCP sequence number and flags (FIN and PSH only in the last segment: the reset values of the
 * DTXTCPFLGL/H masks) are set per segment, and the TCP checksum adds the segment's L4 length to
 * the pseudo-header sum the driver left without one.
 */
import * as R from "@dataplane/ixgbe/regs";
import { QUEUES } from "./register-map.ts";

/** TUCMD.L4T values (context DW2 bits 12:11). */
export const L4T_UDP = 0;
export const L4T_TCP = 1;
export const L4T_SCTP = 2;
/** Context DW0: MACLEN (bits 15:9). */
const MACLEN_MASK = 0x7f;
/** Context DW2: L4T (bits 12:11). */
const L4T_SHIFT = 11;
/** Context DW3: L4LEN (bits 15:8). */
const L4LEN_MASK = 0xff;
/** Bytes VLE inserts after the MAC addresses. */
const VLAN_TAG_BYTES = 4;
/** TCP flags the first and middle segments keep: all but FIN (0x01) and PSH (0x08). */
const TCP_FLAGS_NOT_LAST = 0xff6;

/** The two contexts of every TX queue, as their descriptors wrote them. */
export class TxContexts {
  private readonly dw0 = new Uint32Array(QUEUES * 2);
  private readonly dw2 = new Uint32Array(QUEUES * 2);
  private readonly dw3 = new Uint32Array(QUEUES * 2);
  private readonly valid = new Uint8Array(QUEUES * 2);

  /** A context descriptor of queue q (words 0, 2 and 3 of it). */
  store(q: number, w0: number, w2: number, w3: number): void {
    const slot = q * 2 + ((w3 >>> R.ADVTXD_IDX_SHIFT) & 1);
    this.dw0[slot] = w0;
    this.dw2[slot] = w2;
    this.dw3[slot] = w3;
    this.valid[slot] = 1;
  }

  /** Device reset or queue re-enable: no context is valid. */
  clear(q = -1): void {
    if (q < 0) this.valid.fill(0);
    else this.valid[q * 2] = this.valid[q * 2 + 1] = 0;
  }

  /** Fills `out` from the context data descriptor word 3 `olinfo` names; false if none. */
  read(q: number, olinfo: number, out: TxContext): boolean {
    const slot = q * 2 + ((olinfo >>> R.ADVTXD_IDX_SHIFT) & 1);
    if (this.valid[slot] === 0) return false;
    const w0 = this.dw0[slot] as number;
    const w2 = this.dw2[slot] as number;
    const w3 = this.dw3[slot] as number;
    out.iplen = w0 & R.ADVTXD_CTX_IPLEN_MASK;
    out.maclen = (w0 >>> R.ADVTXD_CTX_MACLEN_SHIFT) & MACLEN_MASK;
    out.vlan = w0 >>> R.ADVTXD_CTX_VLAN_SHIFT;
    out.ipv4 = (w2 & R.ADVTXD_TUCMD_IPV4) !== 0;
    out.l4t = (w2 >>> L4T_SHIFT) & 3;
    out.l4len = (w3 >>> R.ADVTXD_CTX_L4LEN_SHIFT) & L4LEN_MASK;
    out.mss = w3 >>> R.ADVTXD_CTX_MSS_SHIFT;
    return true;
  }
}

/** One context, decoded. */
export interface TxContext {
  maclen: number;
  iplen: number;
  vlan: number;
  ipv4: boolean;
  l4t: number;
  l4len: number;
  mss: number;
}

/** A fresh, empty context record. */
export function newTxContext(): TxContext {
  return { maclen: 0, iplen: 0, vlan: 0, ipv4: false, l4t: 0, l4len: 0, mss: 0 };
}

const be16 = (f: Uint8Array, o: number): number => ((f[o] as number) << 8) | (f[o + 1] as number);
function put16(f: Uint8Array, o: number, v: number): void {
  f[o] = (v >>> 8) & 0xff;
  f[o + 1] = v & 0xff;
}

/** Ones' complement sum (not folded past 32 bits) of f[from..to), big-endian 16-bit words. */
function sum16(f: Uint8Array, from: number, to: number, start = 0): number {
  let s = start;
  let i = from;
  for (; i + 1 < to; i += 2) s += ((f[i] as number) << 8) | (f[i + 1] as number);
  if (i < to) s += (f[i] as number) << 8;
  return s;
}

/** Folds a sum to 16 bits. */
function fold(s: number): number {
  let v = s;
  while (v > 0xffff) v = (v & 0xffff) + Math.floor(v / 0x10000);
  return v;
}

/** IPv4 header checksum at `ip` (header length from IHL). */
function ipv4Checksum(f: Uint8Array, ip: number): void {
  const ihl = ((f[ip] as number) & 0xf) * 4;
  put16(f, ip + 10, 0);
  put16(f, ip + 10, ~fold(sum16(f, ip, ip + ihl)) & 0xffff);
}

/** Offset of the L4 checksum field from the L4 header, or -1 (SCTP: CRC32c, not modelled). */
function l4ChecksumOffset(l4t: number): number {
  return l4t === L4T_TCP ? 16 : l4t === L4T_UDP ? 6 : -1;
}

/**
 * IXSM / TXSM on a frame of `len` bytes (not segmented). Returns false when the context does
 * not fit the frame or asks for what the model does not do (SCTP CRC).
 */
export function insertChecksums(
  f: Uint8Array,
  len: number,
  ctx: TxContext,
  ixsm: boolean,
  txsm: boolean,
): boolean {
  const ip = ctx.maclen;
  const l4 = ip + ctx.iplen;
  if (ixsm) {
    if (!ctx.ipv4 || ip + 20 > len) return false;
    ipv4Checksum(f, ip);
  }
  if (txsm) {
    const at = l4ChecksumOffset(ctx.l4t);
    if (at < 0 || l4 + at + 2 > len) return false;
    let c = ~fold(sum16(f, l4, len)) & 0xffff;
    if (c === 0 && ctx.l4t === L4T_UDP) c = 0xffff;
    put16(f, l4 + at, c);
  }
  return true;
}

/** Sends one finished segment: the frame is in `seg[0..len)`. */
export type EmitSegment = (len: number) => void;

/**
 * TCP segmentation of the frame in f[0..len) (headers, then `paylen` payload bytes) into `seg`,
 * one segment at a time, each handed to `emit`. Returns the number of segments, or -1 when the
 * context cannot describe this frame (no TCP, MSS 0, headers past the frame, PAYLEN not what
 * follows the headers).
 */
export function segmentTcp(
  f: Uint8Array,
  len: number,
  paylen: number,
  ctx: TxContext,
  ixsm: boolean,
  seg: Uint8Array,
  emit: EmitSegment,
): number {
  const ip = ctx.maclen;
  const l4 = ip + ctx.iplen;
  const hdr = l4 + ctx.l4len;
  if (ctx.l4t !== L4T_TCP || ctx.mss === 0 || ctx.l4len < 20 || hdr > len) return -1;
  if (hdr + paylen !== len) return -1;
  if (hdr + ctx.mss + VLAN_TAG_BYTES > seg.length) return -1; // room for a VLE tag
  const seq0 = be16(f, l4 + 4) * 0x10000 + be16(f, l4 + 6);
  const flags = be16(f, l4 + 12) & 0xfff;
  const id0 = ctx.ipv4 ? be16(f, ip + 4) : 0;
  let n = 0;
  for (let off = 0; off < paylen || (paylen === 0 && n === 0); off += ctx.mss) {
    const chunk = Math.min(ctx.mss, paylen - off);
    const last = off + chunk >= paylen;
    seg.set(f.subarray(0, hdr), 0);
    seg.set(f.subarray(hdr + off, hdr + off + chunk), hdr);
    if (ctx.ipv4) {
      put16(seg, ip + 2, ctx.iplen + ctx.l4len + chunk);
      put16(seg, ip + 4, (id0 + n) & 0xffff);
      if (ixsm) ipv4Checksum(seg, ip);
    } else {
      put16(seg, ip + 4, ctx.iplen - 40 + ctx.l4len + chunk);
    }
    const seq = (seq0 + off) % 0x100000000;
    put16(seg, l4 + 4, Math.floor(seq / 0x10000));
    put16(seg, l4 + 6, seq & 0xffff);
    const keep = last ? 0xfff : TCP_FLAGS_NOT_LAST;
    put16(seg, l4 + 12, (be16(seg, l4 + 12) & 0xf000) | (flags & keep));
    // The driver left the pseudo-header sum without a length: add this segment's L4 length.
    const c = ~fold(sum16(seg, l4, hdr + chunk, ctx.l4len + chunk)) & 0xffff;
    put16(seg, l4 + 16, c);
    emit(hdr + chunk);
    n++;
    if (paylen === 0) break;
  }
  return n;
}
