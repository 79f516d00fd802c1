/*
 * The host side of the model benchmarks: a Port whose RX or TX queues live in one DMA window,
 * kept full by the cheapest loop (re-arm the descriptors used, one tail write per queue).
 */
import * as R from "@dataplane/ixgbe/regs";
import { WindowDmaSpace } from "../src/dma/window-dma.ts";
import { Port } from "../src/model/port.ts";
import { buildTemplate } from "../src/wire/frame.ts";
import type { Wire } from "../src/wire/wire.ts";

export const BATCH = 32;
export const RING = 512;
const IOVA = 0x1_0000_0000;
export const BUFFERS = 0x100000;
export const MAC = Uint8Array.of(0x02, 0, 0, 0x82, 0x59, 0x90);
const FLOWS = 64;

/** FLOWS UDP frames of 60 bytes (one per flow), as words. Int32: see generator.ts. */
export const FRAMES = new Int32Array(FLOWS * 15);
for (let f = 0; f < FLOWS; f++) {
  const t = buildTemplate({ size: 60, dstMac: MAC, srcMac: MAC, genId: 0, flow: f });
  FRAMES.set(new Int32Array(t.buffer), f * 15);
}

/**
 * Produces the frames of FLOWS flows in turn forever (a 15-word copy); counts what is sent.
 * With `source` false it produces nothing: the wire of a port that only transmits, so that
 * the port's receive side (off) has nothing to pull and drop.
 */
export class InstantWire implements Wire {
  readonly spec = "bench";
  sent = 0;
  constructor(private readonly source = true) {}
  private flow = 0;
  private view: Uint8Array | null = null;
  private view32: Uint32Array = new Uint32Array(0);
  pull(dst: Uint8Array, offset: number, _maxLen: number, dst32?: Uint32Array): number {
    if (!this.source) return 0;
    const d = offset >>> 2;
    const s = this.flow * 15;
    let out = dst32;
    if (out === undefined) {
      // A caller without word views (older models): one cached view per buffer.
      if (dst !== this.view) {
        this.view = dst;
        this.view32 = new Uint32Array(dst.buffer, dst.byteOffset, dst.byteLength >>> 2);
      }
      out = this.view32;
    }
    for (let w = 0; w < 15; w++) out[d + w] = FRAMES[s + w] as number;
    this.flow = (this.flow + 1) % FLOWS;
    return 60;
  }
  push(_src: Uint8Array, _offset: number, _len: number): void {
    this.sent++;
  }
  tick(): void {}
  stats(): Record<string, unknown> {
    return { sent: this.sent };
  }
  close(): void {}
}

/** A port with `queues` RX or TX queues of RING descriptors over one DMA window. */
export class BenchPort {
  readonly dma = new WindowDmaSpace();
  readonly mem32: Uint32Array;
  readonly port: Port;
  private readonly next: Int32Array;
  private txTail = 0;

  constructor(
    readonly wire: Wire,
    readonly rx: boolean,
    readonly queues: number,
  ) {
    const win = this.dma.map(IOVA, 16 * 1024 * 1024);
    this.mem32 = this.dma.u32[win] as Uint32Array;
    this.next = new Int32Array(queues);
    let now = 0;
    this.port = new Port({ dma: this.dma, wire, linkUpDelayMs: 0, clock: () => now });
    const port = this.port;
    // The datasheet's order, so the strict model has nothing to object to: AN restart in 10G
    // serial (link up), RDRXCTL as required, TE before the TX queues, RXEN inside the SECRX
    // handshake (below).
    port.mmioWrite(R.AUTOC, R.AUTOC_LMS_10G_SERIAL | R.AUTOC_AN_RESTART);
    now += 1e6;
    port.step(0); // link up
    port.mmioWrite(R.RDRXCTL, R.RDRXCTL_CRCSTRIP | R.RDRXCTL_RSCACKC | R.RDRXCTL_FCOE_WRFIX);
    port.mmioWrite(R.FCTRL, R.FCTRL_BAM);
    if (!rx) port.mmioWrite(R.DMATXCTL, R.DMATXCTL_TE);
    for (let q = 0; q < queues; q++) (rx ? this.setupRx : this.setupTx).call(this, q);
    if (queues > 1) {
      for (let n = 0; n < 10; n++) port.mmioWrite(R.RSSRK(n), (0x6d5a56da * (n + 1)) >>> 0);
      for (let n = 0; n < 32; n++) port.mmioWrite(R.RETA(n), queues === 2 ? 0x01000100 : 0);
      port.mmioWrite(R.RXCSUM, R.RXCSUM_PCSD);
      port.mmioWrite(R.MRQC, R.MRQC_RSSEN | R.MRQC_RSS_FIELD_IPV4 | R.MRQC_RSS_FIELD_IPV4_UDP);
    }
    // Only the measured direction runs: an RX port transmits nothing, a TX port takes nothing in.
    if (rx) {
      port.mmioWrite(R.SECRXCTRL, R.SECRXCTRL_RX_DIS);
      port.mmioWrite(R.RXCTRL, R.RXCTRL_RXEN);
      port.mmioWrite(R.SECRXCTRL, 0);
    }
    if (port.violations().total !== 0) {
      throw new Error(`bench port breaks rules: ${JSON.stringify(port.violations().rules)}`);
    }
  }

  private ring(q: number): number {
    return q * RING * 4; // words
  }
  private buffer(q: number, i: number): number {
    return BUFFERS + (q * RING + i) * 2048; // bytes
  }

  private setupRx(q: number): void {
    const port = this.port;
    port.mmioWrite(R.SRRCTL(q), R.SRRCTL_DESCTYPE_ADV_ONEBUF | R.SRRCTL_DROP_EN | 2);
    port.mmioWrite(R.RDBAL(q), (IOVA + this.ring(q) * 4) % 2 ** 32);
    port.mmioWrite(R.RDBAH(q), Math.floor(IOVA / 2 ** 32));
    port.mmioWrite(R.RDLEN(q), RING * 16);
    port.mmioWrite(R.RDH(q), 0);
    port.mmioWrite(R.RDT(q), 0);
    for (let i = 0; i < RING; i++) this.arm(q, i);
    port.mmioWrite(R.RXDCTL(q), R.RXDCTL_ENABLE);
    port.mmioWrite(R.RDT(q), RING - 1);
  }

  private setupTx(q: number): void {
    const port = this.port;
    const mem32 = this.mem32;
    for (let i = 0; i < RING; i++) {
      mem32.set(FRAMES.subarray(0, 15), this.buffer(q, i) >>> 2);
      const d = this.ring(q) + i * 4;
      mem32[d] = this.buffer(q, i);
      mem32[d + 1] = 1;
      mem32[d + 2] = (R.ADVTXD_CMD_SINGLE | 60) >>> 0;
      mem32[d + 3] = 60 << R.ADVTXD_PAYLEN_SHIFT;
    }
    port.mmioWrite(R.TDBAL(q), (IOVA + this.ring(q) * 4) % 2 ** 32);
    port.mmioWrite(R.TDBAH(q), Math.floor(IOVA / 2 ** 32));
    port.mmioWrite(R.TDLEN(q), RING * 16);
    port.mmioWrite(R.TXDCTL(q), R.TXDCTL_ENABLE);
  }

  private arm(q: number, i: number): void {
    const d = this.ring(q) + i * 4;
    const m = this.mem32;
    m[d] = this.buffer(q, i);
    m[d + 1] = 1;
    m[d + 2] = 0;
    m[d + 3] = 0;
  }

  /** One RX round: the model fills up to 32 descriptors, the host re-arms what was used. */
  rxRound(): number {
    const n = this.port.step(BATCH);
    const m = this.mem32;
    for (let q = 0; q < this.queues; q++) {
      let i = this.next[q] as number;
      const start = i;
      while ((m[this.ring(q) + i * 4 + 2] as number) & R.RXDADV_STAT_DD) {
        this.arm(q, i);
        i = (i + 1) & (RING - 1);
      }
      this.next[q] = i;
      if (i !== start) this.port.bar[R.RDT(q) >>> 2] = (i - 1) & (RING - 1);
    }
    return n;
  }

  /** One TX round: the host hands over 32 prepared descriptors (one TDT write), the model sends. */
  txRound(): number {
    this.txTail = (this.txTail + BATCH) & (RING - 1);
    this.port.bar[R.TDT(0) >>> 2] = this.txTail;
    return this.port.step(BATCH);
  }
}

const copySrc = new Int32Array(512);
const copyDst = new Int32Array(BATCH * 512);
/** Baseline: only moving 32 frames of 60 bytes word by word, the least any model must do. */
export function copyRound(): number {
  for (let k = 0; k < BATCH; k++) {
    const d = k * 512;
    for (let w = 0; w < 15; w++) copyDst[d + w] = copySrc[w] as number;
  }
  return BATCH;
}

/** Prints ns per packet and Mpps for every benchmark of a mitata run (BATCH frames each). */
export function report(result: {
  benchmarks: { alias: string; runs: { stats?: { avg: number } }[] }[];
}): void {
  for (const b of result.benchmarks) {
    const stats = b.runs[0]?.stats;
    if (stats === undefined) continue;
    const perPacket = stats.avg / BATCH;
    console.log(
      `${b.alias}: ${perPacket.toFixed(1)} ns/packet, ${(1e3 / perPacket).toFixed(2)} Mpps`,
    );
  }
}

/**
 * CPU time per frame of `round` over `rounds` calls (lowest of three passes), ns, with the
 * frames counted by `frames()`
 * (what the wire delivered or the sink took, not the step's work count, which also holds
 * frames a port pulled and dropped): process CPU time, so time while another process had the
 * core does not count (on a shared machine the mitata averages, which are wall time, then read
 * high).
 */
export function cpuPerPacket(round: () => number, frames: () => number, rounds = 50_000): number {
  let best = Number.POSITIVE_INFINITY;
  for (let pass = 0; pass < 3; pass++) {
    // Lowest of three: a collection or a JIT tier-up landing in one pass does not count.
    const f0 = frames();
    const start = process.cpuUsage();
    for (let i = 0; i < rounds; i++) round();
    const used = process.cpuUsage(start);
    const n = frames() - f0;
    if (n <= 0) throw new Error("benchmark moved no frames");
    best = Math.min(best, ((used.user + used.system) * 1000) / n);
  }
  return best;
}
