/*
 * The model's own packet rate per port for 64-byte frames (60 bytes + FCS): RX from an instant
 * generator into host descriptors, TX from host descriptors to a null wire. The host side is
 * the cheapest loop that keeps the rings full (re-arm 32 descriptors, one tail write).
 * Baseline in the same summary: copying the same 32 frames word by word, i.e. the floor.
 *   bun bench/model.bench.ts
 */
import * as R from "@dataplane/ixgbe/regs";
import { bench, do_not_optimize, run, summary } from "mitata";
import { WindowDmaSpace } from "../src/dma/window-dma.ts";
import { Port } from "../src/model/port.ts";
import type { Wire } from "../src/wire/wire.ts";

const BATCH = 32;
const RING = 512;
const IOVA = 0x1_0000_0000;
const FRAME = new Uint8Array(60);
FRAME.set([0x02, 0, 0, 0x82, 0x59, 0x90, 0x02, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0x08, 0x00], 0);

const FRAME32 = new Uint32Array(FRAME.buffer);

/** Produces the same frame forever (a 15-word copy); drops what is sent. */
class InstantWire implements Wire {
  readonly spec = "bench";
  on = true;
  sent = 0;
  private dst: Uint8Array | null = null;
  private dst32: Uint32Array<ArrayBufferLike> = new Uint32Array(0);
  pull(dst: Uint8Array, offset: number): number {
    if (!this.on) return 0;
    if (dst !== this.dst) {
      this.dst = dst; // the port always pulls into the same staging buffer
      this.dst32 = new Uint32Array(dst.buffer, dst.byteOffset, dst.byteLength >>> 2);
    }
    const d = offset >>> 2;
    for (let w = 0; w < 15; w++) this.dst32[d + w] = FRAME32[w];
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

function makePort(rx: boolean) {
  const dma = new WindowDmaSpace();
  const win = dma.map(IOVA, 4 * 1024 * 1024);
  const mem32 = dma.u32[win] as Uint32Array;
  const wire = new InstantWire();
  wire.on = rx;
  let now = 0;
  const port = new Port({ dma, wire, linkUpDelayMs: 0, clock: () => now });
  now += 1e6;
  port.step(0); // link up
  port.mmioWrite(R.FCTRL, R.FCTRL_BAM);
  port.mmioWrite(R.RXCTRL, R.RXCTRL_RXEN);
  port.mmioWrite(R.DMATXCTL, R.DMATXCTL_TE);
  const ringWord = 0;
  const bufBase = 0x100000;
  const q = 0;
  if (rx) {
    port.mmioWrite(R.SRRCTL(q), R.SRRCTL_DESCTYPE_ADV_ONEBUF | R.SRRCTL_DROP_EN | 2);
    port.mmioWrite(R.RDBAL(q), IOVA % 2 ** 32);
    port.mmioWrite(R.RDBAH(q), IOVA / 2 ** 32);
    port.mmioWrite(R.RDLEN(q), RING * 16);
    for (let i = 0; i < RING; i++) {
      mem32[ringWord + i * 4] = bufBase + i * 2048;
      mem32[ringWord + i * 4 + 1] = 1;
    }
    port.mmioWrite(R.RXDCTL(q), R.RXDCTL_ENABLE);
    port.mmioWrite(R.RDT(q), RING - 1);
  } else {
    const frame32 = new Uint32Array(FRAME.buffer);
    for (let i = 0; i < RING; i++) {
      mem32.set(frame32, (bufBase + i * 2048) >>> 2);
      const d = ringWord + i * 4;
      mem32[d] = bufBase + i * 2048;
      mem32[d + 1] = 1;
      mem32[d + 2] = (R.ADVTXD_CMD_SINGLE | 60) >>> 0;
      mem32[d + 3] = 60 << R.ADVTXD_PAYLEN_SHIFT;
    }
    port.mmioWrite(R.TDBAL(q), IOVA % 2 ** 32);
    port.mmioWrite(R.TDBAH(q), IOVA / 2 ** 32);
    port.mmioWrite(R.TDLEN(q), RING * 16);
    port.mmioWrite(R.TXDCTL(q), R.TXDCTL_ENABLE);
  }
  return { port, mem32, wire, dma };
}

const rxSide = makePort(true);
let rxNext = 0;
/** One RX round: the model fills 32 descriptors, the host re-arms them and moves RDT once. */
function rxRound(): number {
  const { port, mem32 } = rxSide;
  const n = port.step(BATCH);
  for (let k = 0; k < n; k++) {
    const d = rxNext * 4;
    mem32[d] = 0x100000 + rxNext * 2048;
    mem32[d + 1] = 1;
    mem32[d + 2] = 0;
    mem32[d + 3] = 0;
    rxNext = (rxNext + 1) & (RING - 1);
  }
  port.bar[R.RDT(0) >>> 2] = (rxNext - 1) & (RING - 1);
  return n;
}

const txSide = makePort(false);
let txTail = 0;
/** One TX round: the host hands over 32 prepared descriptors (one TDT write), the model sends. */
function txRound(): number {
  const { port } = txSide;
  txTail = (txTail + BATCH) & (RING - 1);
  port.bar[R.TDT(0) >>> 2] = txTail;
  return port.step(BATCH);
}

const copySrc = new Uint32Array(512);
const copyDst = new Uint32Array(BATCH * 512);
/** Baseline: only moving 32 frames of 60 bytes word by word, the least any model must do. */
function copyRound(): number {
  for (let k = 0; k < BATCH; k++) {
    const d = k * 512;
    for (let w = 0; w < 15; w++) copyDst[d + w] = copySrc[w];
  }
  return BATCH;
}

for (let i = 0; i < 20000; i++) {
  rxRound();
  txRound();
}

summary(() => {
  bench("baseline: copy 32 x 60 B in JS", () => do_not_optimize(copyRound()));
  bench("model RX: 32 x 64 B frames wire -> host", () => do_not_optimize(rxRound()));
  bench("model TX: 32 x 64 B frames host -> wire", () => do_not_optimize(txRound()));
});

const result = await run({ colors: false });
for (const b of result.benchmarks) {
  const stats = b.runs[0]?.stats;
  if (stats === undefined) continue;
  const perPacket = stats.avg / BATCH;
  console.log(
    `${b.alias}: ${perPacket.toFixed(1)} ns/packet, ${(1e3 / perPacket).toFixed(2)} Mpps`,
  );
}
const s = rxSide.port.stats();
if (s.rx.delivered === 0 || txSide.wire.sent === 0) throw new Error("benchmark moved no frames");
rxSide.dma.close();
txSide.dma.close();
