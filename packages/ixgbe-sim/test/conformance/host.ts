/*
 * Host-side helpers for the conformance suite: what a minimal driver does (reset, link, queue
 * setup with hand-written descriptors) using only the ConformanceTarget accessor, plus frame
 * builders. Written from the datasheet's point of view, not any driver's.
 */
import * as R from "@dataplane/ixgbe/regs";
import type { ConformanceTarget } from "./target.ts";

/** Layout of host memory used by the tests (byte offsets in target.mem). */
export const LAYOUT = {
  rxRing: (q: number) => 0x0000 + q * 0x2000,
  txRing: (q: number) => 0x40000 + q * 0x2000,
  headWb: 0x7ff00,
  rxBuf: (q: number) => 0x80000 + q * 0x40000,
  txBuf: 0x300000,
} as const;

const TWO_32 = 4294967296;

/** Device address of a host memory offset, as (lo, hi). */
export function iova(t: ConformanceTarget, off: number): [number, number] {
  const a = t.memIova + off;
  return [(a % TWO_32) >>> 0, Math.floor(a / TWO_32)];
}

/** Polls `offset` until (value & mask) === want, running the device loop in between. */
export function waitFor(t: ConformanceTarget, offset: number, mask: number, want: number): number {
  for (let i = 0; i < 1000; i++) {
    const v = t.read32(offset);
    if ((v & mask) >>> 0 === want >>> 0) return v;
    t.advanceMs(1);
  }
  throw new Error(
    `register 0x${offset.toString(16)} never reached ${want.toString(16)} under mask ${mask.toString(16)}`,
  );
}

/** Global reset and the polls the datasheet asks for; interrupts masked. */
export function resetDevice(t: ConformanceTarget): void {
  t.write32(R.EIMC, R.EIMC_ALL);
  t.write32(R.CTRL, R.CTRL_RST_MASK);
  waitFor(t, R.CTRL, R.CTRL_RST_MASK, 0);
  t.write32(R.EIMC, R.EIMC_ALL);
  t.read32(R.EICR);
  waitFor(t, R.EEC, R.EEC_ARD, R.EEC_ARD);
  waitFor(t, R.RDRXCTL, R.RDRXCTL_DMAIDONE, R.RDRXCTL_DMAIDONE);
}

/** Restarts autonegotiation and waits for LINKS.UP. */
export function bringLinkUp(t: ConformanceTarget): void {
  t.write32(
    R.AUTOC,
    (t.read32(R.AUTOC) & ~R.AUTOC_LMS_MASK) | R.AUTOC_LMS_10G_SERIAL | R.AUTOC_AN_RESTART,
  );
  waitFor(t, R.LINKS, R.LINKS_UP, R.LINKS_UP);
}

/** Reset, link up, RX and TX globally enabled, promiscuous off, broadcast on. */
export function initPort(t: ConformanceTarget): void {
  resetDevice(t);
  bringLinkUp(t);
  t.write32(
    R.HLREG0,
    t.read32(R.HLREG0) | R.HLREG0_RXCRCSTRP | R.HLREG0_TXCRCEN | R.HLREG0_TXPADEN,
  );
  // RDRXCTL: CRCSTRIP as HLREG0, and the bits the datasheet requires (§8.2.3.8.8).
  t.write32(
    R.RDRXCTL,
    ((t.read32(R.RDRXCTL) & ~R.RDRXCTL_RSCFRSTSIZE_MASK) |
      R.RDRXCTL_CRCSTRIP |
      R.RDRXCTL_RSCACKC |
      R.RDRXCTL_FCOE_WRFIX) >>>
      0,
  );
  t.write32(R.FCTRL, R.FCTRL_BAM);
  enableReceive(t, true);
  t.write32(R.DMATXCTL, R.DMATXCTL_TE);
}

/** RXCTRL.RXEN on or off inside the SECRXCTRL.RX_DIS / SECRX_RDY handshake (§4.6.7). */
export function enableReceive(t: ConformanceTarget, on: boolean): void {
  t.write32(R.SECRXCTRL, t.read32(R.SECRXCTRL) | R.SECRXCTRL_RX_DIS);
  waitFor(t, R.SECRXSTAT, R.SECRXSTAT_SECRX_RDY, R.SECRXSTAT_SECRX_RDY);
  const rx = t.read32(R.RXCTRL);
  t.write32(R.RXCTRL, on ? rx | R.RXCTRL_RXEN : rx & ~R.RXCTRL_RXEN);
  t.write32(R.SECRXCTRL, t.read32(R.SECRXCTRL) & ~R.SECRXCTRL_RX_DIS);
  t.run();
}

/** Options of an RX queue set up by setupRx. */
export interface RxSetup {
  count?: number;
  advanced?: boolean;
  dropEn?: boolean;
  bufKiB?: number;
  /** Descriptors handed to the device (RDT); default count - 1. */
  give?: number;
}

/** An RX ring in host memory with one buffer per descriptor. */
export class RxRing {
  constructor(
    readonly t: ConformanceTarget,
    readonly q: number,
    readonly count: number,
    readonly bufBytes: number,
    readonly advanced: boolean,
  ) {}

  descWord(i: number, w: number): number {
    return this.t.mem32[(LAYOUT.rxRing(this.q) >>> 2) + i * 4 + w] as number;
  }
  bufOff(i: number): number {
    return LAYOUT.rxBuf(this.q) + i * this.bufBytes;
  }
  /** Writes descriptor i in read format (buffer address; header address 0 clears DD). */
  arm(i: number): void {
    const [lo, hi] = iova(this.t, this.bufOff(i));
    const d = (LAYOUT.rxRing(this.q) >>> 2) + i * 4;
    this.t.mem32[d] = lo;
    this.t.mem32[d + 1] = hi;
    this.t.mem32[d + 2] = 0;
    this.t.mem32[d + 3] = 0;
  }
  /** Status word (advanced DW2 or legacy status byte word). */
  status(i: number): number {
    return this.advanced ? this.descWord(i, 2) : this.descWord(i, 3) & 0xff;
  }
  length(i: number): number {
    return this.advanced ? this.descWord(i, 3) & 0xffff : this.descWord(i, 2) & 0xffff;
  }
  data(i: number, len = this.length(i)): Uint8Array {
    return this.t.mem.slice(this.bufOff(i), this.bufOff(i) + len);
  }
  setTail(v: number): void {
    this.t.write32(R.RDT(this.q), v);
  }
  head(): number {
    return this.t.read32(R.RDH(this.q));
  }
}

/** Programs RX queue q (datasheet §4.6.7 order) and hands `give` descriptors to the device. */
export function setupRx(t: ConformanceTarget, q: number, o: RxSetup = {}): RxRing {
  const count = o.count ?? 64;
  const advanced = o.advanced ?? true;
  const bufKiB = o.bufKiB ?? 2;
  const ring = new RxRing(t, q, count, bufKiB * 1024, advanced);
  const [lo, hi] = iova(t, LAYOUT.rxRing(q));
  let srr =
    (t.read32(R.SRRCTL(q)) &
      ~(R.SRRCTL_DESCTYPE_MASK | R.SRRCTL_BSIZEPACKET_MASK | R.SRRCTL_DROP_EN)) |
    bufKiB;
  if (advanced) srr |= R.SRRCTL_DESCTYPE_ADV_ONEBUF;
  if (o.dropEn ?? true) srr |= R.SRRCTL_DROP_EN;
  t.write32(R.SRRCTL(q), srr >>> 0);
  t.write32(R.RDBAL(q), lo);
  t.write32(R.RDBAH(q), hi);
  t.write32(R.RDLEN(q), count * 16);
  t.write32(R.RDH(q), 0);
  t.write32(R.RDT(q), 0);
  for (let i = 0; i < count; i++) ring.arm(i);
  t.write32(R.RXDCTL(q), t.read32(R.RXDCTL(q)) | R.RXDCTL_ENABLE);
  t.run();
  waitFor(t, R.RXDCTL(q), R.RXDCTL_ENABLE, R.RXDCTL_ENABLE);
  ring.setTail(o.give ?? count - 1);
  t.run();
  return ring;
}

/** A TX ring in host memory; buffers are carved from LAYOUT.txBuf. */
export class TxRing {
  next = 0;
  bufNext = 0;
  constructor(
    readonly t: ConformanceTarget,
    readonly q: number,
    readonly count: number,
  ) {}

  desc(i: number): number {
    return (LAYOUT.txRing(this.q) >>> 2) + i * 4;
  }
  /** Copies data into a fresh buffer; returns its host offset. */
  buffer(data: Uint8Array): number {
    const off = LAYOUT.txBuf + this.q * 0x20000 + (this.bufNext++ % 48) * 0x800;
    this.t.mem.set(data, off);
    return off;
  }
  /** Writes one advanced data descriptor at `next`; returns its index. */
  put(bufOff: number, len: number, cmd: number, paylen: number): number {
    const i = this.next;
    const d = this.desc(i);
    const [lo, hi] = iova(this.t, bufOff);
    this.t.mem32[d] = lo;
    this.t.mem32[d + 1] = hi;
    this.t.mem32[d + 2] = (cmd | len) >>> 0;
    this.t.mem32[d + 3] = (paylen << R.ADVTXD_PAYLEN_SHIFT) >>> 0;
    this.next = (i + 1) % this.count;
    return i;
  }
  /** Queues one single-descriptor frame (EOP | IFCS | RS unless told otherwise). */
  frame(data: Uint8Array, cmd: number = R.ADVTXD_CMD_SINGLE): number {
    return this.put(this.buffer(data), data.length, cmd, data.length);
  }
  /** Moves TDT to `next` (the descriptors written so far go to the device). */
  kick(): void {
    this.t.write32(R.TDT(this.q), this.next);
  }
  dd(i: number): boolean {
    return ((this.t.mem32[this.desc(i) + 3] as number) & R.ADVTXD_STAT_DD) !== 0;
  }
}

/**
 * Programs TX queue q and enables it (TE must already be set): prefetch 36, host 8, write-back
 * threshold `wthresh` (0: every RS descriptor is written back at once).
 */
export function setupTx(t: ConformanceTarget, q: number, count = 64, wthresh = 0): TxRing {
  const [lo, hi] = iova(t, LAYOUT.txRing(q));
  t.mem.fill(0xff, LAYOUT.txRing(q), LAYOUT.txRing(q) + count * 16);
  t.write32(R.TDBAL(q), lo);
  t.write32(R.TDBAH(q), hi);
  t.write32(R.TDLEN(q), count * 16);
  t.write32(R.TDH(q), 0);
  t.write32(R.TDT(q), 0);
  t.write32(
    R.TXDCTL(q),
    (t.read32(R.TXDCTL(q)) & ~R.TXDCTL_THRESH_MASK) |
      0x0824 |
      (wthresh << R.TXDCTL_WTHRESH_SHIFT) |
      R.TXDCTL_ENABLE,
  );
  t.run();
  waitFor(t, R.TXDCTL(q), R.TXDCTL_ENABLE, R.TXDCTL_ENABLE);
  return new TxRing(t, q, count);
}

/** Default MAC of port 0 (the model's EEPROM value). */
export const PORT_MAC = [0x02, 0x00, 0x00, 0x82, 0x59, 0x90];
/** A foreign unicast MAC. */
export const OTHER_MAC = [0x02, 0x11, 0x22, 0x33, 0x44, 0x55];
/** Broadcast. */
export const BCAST = [0xff, 0xff, 0xff, 0xff, 0xff, 0xff];

/** Ethernet frame of `len` bytes (no FCS) to `dst`, ethertype 0x88B5, payload byte i = i & 0xff. */
export function rawFrame(
  len: number,
  dst: readonly number[] = PORT_MAC,
  seed = 0,
): Uint8Array<ArrayBuffer> {
  const f = new Uint8Array(len);
  for (let i = 14; i < len; i++) f[i] = (i + seed) & 0xff;
  f.set(dst, 0);
  f.set([0x02, 0xaa, 0xbb, 0xcc, 0xdd, 0xee], 6);
  f[12] = 0x88;
  f[13] = 0xb5;
  return f;
}

/** IPv4 + TCP or UDP frame (60 bytes min) with the given addresses and ports. */
export function ipv4Frame(
  src: string,
  dst: string,
  sport: number,
  dport: number,
  proto: 6 | 17,
): Uint8Array {
  const l4 = proto === 6 ? 20 : 8;
  const f = rawFrame(Math.max(60, 14 + 20 + l4));
  f[12] = 0x08;
  f[13] = 0x00;
  f[14] = 0x45;
  f[16] = 0;
  f[17] = 20 + l4;
  f[20] = 0x40; // DF, not a fragment
  f[21] = 0;
  f[22] = 64;
  f[23] = proto;
  f.set(src.split(".").map(Number), 26);
  f.set(dst.split(".").map(Number), 30);
  f[34] = sport >>> 8;
  f[35] = sport & 0xff;
  f[36] = dport >>> 8;
  f[37] = dport & 0xff;
  return f;
}

/** Expands an IPv6 address (with ::) into 16 bytes. */
export function ipv6Bytes(a: string): number[] {
  const [head, tail] = a.includes("::") ? a.split("::") : [a, undefined];
  const h = (head ?? "").split(":").filter((s) => s !== "");
  const t = tail === undefined ? [] : tail.split(":").filter((s) => s !== "");
  const groups = [...h, ...new Array(8 - h.length - t.length).fill("0"), ...t];
  return groups.flatMap((g) => {
    const v = Number.parseInt(g, 16);
    return [v >>> 8, v & 0xff];
  });
}

/** IPv6 + TCP frame. */
export function ipv6TcpFrame(src: string, dst: string, sport: number, dport: number): Uint8Array {
  const f = rawFrame(14 + 40 + 20);
  f[12] = 0x86;
  f[13] = 0xdd;
  f[14] = 0x60;
  f[19] = 20;
  f[20] = 6;
  f[21] = 64;
  f.set(ipv6Bytes(src), 22);
  f.set(ipv6Bytes(dst), 38);
  f[54] = sport >>> 8;
  f[55] = sport & 0xff;
  f[56] = dport >>> 8;
  f[57] = dport & 0xff;
  return f;
}
