/*
 * Conformance: TX offloads as Linux's ixgbe uses them (context descriptors, IPv4 header and
 * TCP/UDP checksum insertion, TCP segmentation, VLAN insertion). Every checksum is verified here
 * from first principles (RFC 1071 sums over the frame and the pseudo-header), not with the
 * model's code.
 */
import { afterEach, beforeEach, expect } from "bun:test";
import * as R from "@dataplane/ixgbe/regs";
import { initPort, OTHER_MAC, setupTx, type TxRing } from "./host.ts";
import { describe, test } from "./skip.ts";
import type { ConformanceTarget, TargetFactory } from "./target.ts";

const DATA = R.ADVTXD_DCMD_DEXT | R.ADVTXD_DTYP_DATA | R.ADVTXD_DCMD_IFCS;
const LAST = R.ADVTXD_DCMD_EOP | R.ADVTXD_DCMD_RS;
const L4T_UDP = 0;
const TCP_FIN = 0x01;
const TCP_PSH = 0x08;
const TCP_ACK = 0x10;

/** RFC 1071 sum of 16-bit big-endian words, folded. */
function sum(bytes: Uint8Array, start = 0): number {
  let s = start;
  for (let i = 0; i < bytes.length; i += 2) s += (bytes[i] << 8) | (bytes[i + 1] ?? 0);
  while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
  return s;
}

const be16 = (f: Uint8Array, o: number): number => (f[o] << 8) | f[o + 1];
const be32 = (f: Uint8Array, o: number): number => be16(f, o) * 0x10000 + be16(f, o + 2);

/** Pseudo-header sum of an IPv4 (ip at offset ip) L4 segment of `l4len` bytes. */
function pseudo4(f: Uint8Array, ip: number, proto: number, l4len: number): number {
  return sum(f.subarray(ip + 12, ip + 20), proto + l4len);
}

/** Pseudo-header sum of an IPv6 L4 segment. */
function pseudo6(f: Uint8Array, ip: number, proto: number, l4len: number): number {
  return sum(f.subarray(ip + 8, ip + 40), proto + l4len);
}

/** True when the L4 checksum of the frame's segment at l4 verifies against `pseudoSum`. */
function l4Valid(f: Uint8Array, l4: number, pseudoSum: number): boolean {
  return sum(f.subarray(l4), pseudoSum) === 0xffff;
}

/** Ethernet + IPv4 (20 bytes) + TCP (20 bytes) + payload; checksums left as a driver leaves them. */
function tcp4(payload: number, seq: number, flags: number, seedLength: boolean): Uint8Array {
  const f = new Uint8Array(54 + payload);
  f.set(OTHER_MAC, 0);
  f.set([0x02, 0xaa, 0xbb, 0xcc, 0xdd, 0xee], 6);
  f.set([0x08, 0x00], 12);
  f.set(
    [0x45, 0, (40 + payload) >>> 8, (40 + payload) & 0xff, 0x12, 0x34, 0x40, 0, 64, 6, 0xde, 0xad],
    14,
  );
  f.set([198, 18, 0, 2, 198, 18, 0, 1], 26);
  f.set([0x9c, 0x40, 0x14, 0x51], 34); // ports 40000 -> 5201
  f.set([seq >>> 24, (seq >>> 16) & 0xff, (seq >>> 8) & 0xff, seq & 0xff], 38);
  f.set([0, 0, 0, 1, 0x50, flags, 0xff, 0xff], 42);
  for (let i = 54; i < f.length; i++) f[i] = (i * 7) & 0xff;
  // The driver's seed: the pseudo-header sum (with the L4 length unless TSO), not complemented.
  const seed = pseudo4(f, 14, 6, seedLength ? 20 + payload : 0);
  f[50] = seed >>> 8;
  f[51] = seed & 0xff;
  return f;
}

/** Ethernet + IPv6 + TCP + payload, seeded for TSO (pseudo-header without length). */
function tcp6(payload: number): Uint8Array {
  const f = new Uint8Array(74 + payload);
  f.set(OTHER_MAC, 0);
  f.set([0x02, 0xaa, 0xbb, 0xcc, 0xdd, 0xee], 6);
  f.set([0x86, 0xdd], 12);
  f.set([0x60, 0, 0, 0, (20 + payload) >>> 8, (20 + payload) & 0xff, 6, 64], 14);
  f.set([0x20, 0x01, 0x0d, 0xb8], 22); // 2001:db8::2
  f[37] = 2;
  f.set([0x20, 0x01, 0x0d, 0xb8], 38); // 2001:db8::1
  f[53] = 1;
  f.set(
    [0x9c, 0x40, 0x14, 0x51, 0, 0, 0x10, 0, 0, 0, 0, 1, 0x50, TCP_ACK | TCP_PSH, 0xff, 0xff],
    54,
  );
  for (let i = 74; i < f.length; i++) f[i] = (i * 3) & 0xff;
  const seed = pseudo6(f, 14, 6, 0);
  f[70] = seed >>> 8;
  f[71] = seed & 0xff;
  return f;
}

/** Writes an advanced context descriptor at the ring's next slot. */
function context(
  tx: TxRing,
  o: {
    maclen: number;
    iplen: number;
    vlan?: number;
    ipv4: boolean;
    l4t: number;
    l4len?: number;
    mss?: number;
    idx?: number;
  },
): void {
  const i = tx.next;
  const d = tx.desc(i);
  tx.t.mem32[d] =
    ((o.vlan ?? 0) << R.ADVTXD_CTX_VLAN_SHIFT) | (o.maclen << R.ADVTXD_CTX_MACLEN_SHIFT) | o.iplen;
  tx.t.mem32[d + 1] = 0;
  tx.t.mem32[d + 2] =
    (R.ADVTXD_DCMD_DEXT |
      R.ADVTXD_DTYP_CTXT |
      (o.ipv4 ? R.ADVTXD_TUCMD_IPV4 : 0) |
      (o.l4t << 11)) >>>
    0;
  tx.t.mem32[d + 3] =
    (((o.mss ?? 0) << R.ADVTXD_CTX_MSS_SHIFT) |
      ((o.l4len ?? 0) << R.ADVTXD_CTX_L4LEN_SHIFT) |
      ((o.idx ?? 0) << R.ADVTXD_IDX_SHIFT)) >>>
    0;
  tx.next = (i + 1) % tx.count;
}

/** Writes the frame as data descriptors of at most `chunk` bytes; olinfo word = `olinfo`. */
function data(tx: TxRing, f: Uint8Array, cmd: number, olinfo: number, chunk = 2048): void {
  for (let off = 0; off < f.length; off += chunk) {
    const part = f.subarray(off, Math.min(f.length, off + chunk));
    const last = off + chunk >= f.length;
    const i = tx.put(tx.buffer(part), part.length, DATA | cmd | (last ? LAST : 0), 0);
    tx.t.mem32[tx.desc(i) + 3] = olinfo >>> 0;
  }
}

/** Registers the TX offload tests for targets made by `make`. */
export function registerOffloadTests(name: string, make: TargetFactory): void {
  describe(`${name}: TX offloads`, () => {
    let t: ConformanceTarget;
    beforeEach(() => {
      t = make({ linkUpDelayMs: 1 });
      initPort(t);
    });
    afterEach(() => t.close());

    test("IXSM and TXSM: the IPv4 header and TCP checksums are written; the rest is untouched", () => {
      const tx = setupTx(t, 0, 32);
      const f = tcp4(100, 1000, TCP_ACK | TCP_PSH, true);
      context(tx, { maclen: 14, iplen: 20, ipv4: true, l4t: 1 });
      const ol =
        R.ADVTXD_CC |
        R.ADVTXD_POPTS_IXSM |
        R.ADVTXD_POPTS_TXSM |
        (f.length << R.ADVTXD_PAYLEN_SHIFT);
      data(tx, f, 0, ol);
      tx.kick();
      t.run();
      const [out] = t.sent();
      expect(out?.length).toBe(f.length);
      const o = out as Uint8Array;
      expect(sum(o.subarray(14, 34))).toBe(0xffff);
      expect(l4Valid(o, 34, pseudo4(o, 14, 6, 120))).toBe(true);
      expect(o.subarray(54)).toEqual(f.subarray(54));
      expect(o.subarray(0, 24)).toEqual(f.subarray(0, 24)); // before the IPv4 checksum
    });

    test("TXSM over UDP, context slot 1, and a zero result sent as 0xFFFF", () => {
      const tx = setupTx(t, 0, 32);
      const f = tcp4(30, 0, 0, false);
      f[23] = 17; // UDP: 8-byte header at 34, checksum at 40
      const len = f.length - 34;
      f[38] = len >>> 8;
      f[39] = len & 0xff;
      const seed = pseudo4(f, 14, 17, len);
      f[40] = seed >>> 8;
      f[41] = seed & 0xff;
      // Pick the last payload word so the segment sums to 0xFFFF: the checksum computes to 0.
      for (let w = 0; w < 0x10000 && sum(f.subarray(34)) !== 0xffff; w++) {
        f[f.length - 2] = w >>> 8;
        f[f.length - 1] = w & 0xff;
      }
      context(tx, { maclen: 14, iplen: 20, ipv4: true, l4t: 1, idx: 0 }); // TCP in slot 0
      context(tx, { maclen: 14, iplen: 20, ipv4: true, l4t: L4T_UDP, idx: 1 });
      data(tx, f, 0, R.ADVTXD_CC | (1 << R.ADVTXD_IDX_SHIFT) | R.ADVTXD_POPTS_TXSM);
      tx.kick();
      t.run();
      const o = t.sent()[0] as Uint8Array;
      expect(be16(o, 40)).toBe(0xffff); // 0 means "no checksum" in UDP over IPv4
      expect(l4Valid(o, 34, pseudo4(o, 14, 17, len))).toBe(true);
    });

    test("TSO over IPv4: MSS-sized segments, lengths, ids, sequence numbers, FIN/PSH last, checksums", () => {
      const tx = setupTx(t, 0, 64);
      const payload = 3500;
      const f = tcp4(payload, 0xfffff000, TCP_ACK | TCP_PSH | TCP_FIN, false);
      context(tx, { maclen: 14, iplen: 20, ipv4: true, l4t: 1, l4len: 20, mss: 1448 });
      const ol =
        R.ADVTXD_CC |
        R.ADVTXD_POPTS_IXSM |
        R.ADVTXD_POPTS_TXSM |
        (payload << R.ADVTXD_PAYLEN_SHIFT);
      data(tx, f, R.ADVTXD_DCMD_TSE, ol);
      tx.kick();
      t.run();
      const segs = t.sent();
      expect(segs.map((s) => s.length)).toEqual([54 + 1448, 54 + 1448, 54 + 604]);
      let off = 0;
      segs.forEach((s, n) => {
        const chunk = s.length - 54;
        expect(be16(s, 16)).toBe(40 + chunk); // IPv4 total length
        expect(be16(s, 18)).toBe(0x1234 + n); // identification
        expect(sum(s.subarray(14, 34))).toBe(0xffff);
        expect(be32(s, 38)).toBe((0xfffff000 + off) % 0x100000000); // wraps past 2^32
        const flags = s[47] as number;
        expect(flags & (TCP_FIN | TCP_PSH)).toBe(n === 2 ? TCP_FIN | TCP_PSH : 0);
        expect(flags & TCP_ACK).toBe(TCP_ACK);
        expect(l4Valid(s, 34, pseudo4(s, 14, 6, 20 + chunk))).toBe(true);
        expect(s.subarray(54)).toEqual(f.subarray(54 + off, 54 + off + chunk));
        off += chunk;
      });
      expect(t.read32(R.GPTC)).toBe(3);
      expect(t.read32(R.TDH(0))).toBe(3); // one context + two data descriptors
    });

    test("TSO over IPv6: payload length per segment, checksums", () => {
      const tx = setupTx(t, 0, 64);
      const payload = 2000;
      const f = tcp6(payload);
      context(tx, { maclen: 14, iplen: 40, ipv4: false, l4t: 1, l4len: 20, mss: 1000 });
      data(
        tx,
        f,
        R.ADVTXD_DCMD_TSE,
        R.ADVTXD_CC | R.ADVTXD_POPTS_TXSM | (payload << R.ADVTXD_PAYLEN_SHIFT),
      );
      tx.kick();
      t.run();
      const segs = t.sent();
      expect(segs.length).toBe(2);
      for (const s of segs) {
        expect(be16(s, 18)).toBe(20 + 1000);
        expect(l4Valid(s, 54, pseudo6(s, 14, 6, 1020))).toBe(true);
      }
    });

    test("VLE inserts the context's VLAN tag with DMATXCTL.VT's TPID", () => {
      const tx = setupTx(t, 0, 32);
      t.write32(R.DMATXCTL, R.DMATXCTL_TE | (0x88a8 << R.DMATXCTL_VT_SHIFT)); // an 802.1ad TPID
      const f = tcp4(10, 1, TCP_ACK, true);
      context(tx, { maclen: 14, iplen: 20, ipv4: true, l4t: 1, vlan: 0x2005 });
      data(tx, f, R.ADVTXD_DCMD_VLE, R.ADVTXD_CC | (f.length << R.ADVTXD_PAYLEN_SHIFT));
      tx.kick();
      t.run();
      const o = t.sent()[0] as Uint8Array;
      expect(o.length).toBe(f.length + 4);
      expect(Array.from(o.subarray(12, 16))).toEqual([0x88, 0xa8, 0x20, 0x05]);
      expect(o.subarray(0, 12)).toEqual(f.subarray(0, 12));
      expect(o.subarray(16)).toEqual(f.subarray(12));
    });

    test("an offload without a context, or a context that does not fit, is dropped as bad-context", () => {
      const tx = setupTx(t, 0, 32);
      const f = tcp4(100, 0, TCP_ACK, false);
      data(tx, f, 0, R.ADVTXD_POPTS_TXSM); // no context yet on this queue
      context(tx, { maclen: 14, iplen: 20, ipv4: true, l4t: 1, l4len: 20, mss: 1000 });
      data(tx, f, R.ADVTXD_DCMD_TSE, R.ADVTXD_CC | (99 << R.ADVTXD_PAYLEN_SHIFT)); // PAYLEN wrong
      tx.frame(tcp4(60, 0, TCP_ACK, false)); // a plain frame still goes out
      tx.kick();
      t.run();
      expect(t.sent().length).toBe(1);
      expect(t.control.faults().map((x) => x.what)).toEqual(["bad-context", "bad-context"]);
      expect(t.control.stats().tx.dropped.malformed).toBe(2);
    });
  });
}
