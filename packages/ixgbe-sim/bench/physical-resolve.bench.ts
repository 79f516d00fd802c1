/*
 * sysfs mode's per-frame address lookup (PhysicalDmaSpace.resolve) as the no-copy RX path uses
 * it: a ring of 2 KiB buffers over a client's 2 MiB hugepages, data starting 128 bytes in (as
 * l2fwd places it), one resolve per frame. Resolving the whole 2 KiB buffer runs past the end
 * of the last buffer of every page; resolving what a kept frame can occupy (1518 bytes) does
 * not. Needs root (map_files, real PFNs) and free 2 MiB hugepages.
 *   bun bench/physical-resolve.bench.ts
 */
import { bench, do_not_optimize, run, summary } from "mitata";
import { PhysicalDmaSpace } from "../src/dma/physical.ts";
import { BATCH, cpuPerPacket, report } from "./bench-port.ts";

const HUGE = 2 * 1024 * 1024;
const BUF = 2048;
const HEADROOM = 128;

const client = Bun.spawn([process.execPath, `${import.meta.dir}/../test/physical-client.ts`], {
  stdin: "pipe",
  stdout: "pipe",
  stderr: "inherit",
});
const pages: number[] = [];
let text = "";
const reader = (client.stdout as ReadableStream<Uint8Array>).getReader();
while (!text.includes("ready\n")) {
  const { value, done } = await reader.read();
  if (done) throw new Error(`the client exited before it was ready: ${text}`);
  text += new TextDecoder().decode(value);
}
for (const line of text.split("\n")) {
  if (!line.startsWith("{")) continue;
  const r = JSON.parse(line) as { name: string; probes: { offset: number; pa: number }[] };
  if (r.name !== "dp-phys-memfd") continue;
  for (const p of r.probes) if (p.offset % HUGE === 0) pages.push(p.pa);
}

const dma = new PhysicalDmaSpace(client.pid, { rescanIntervalMs: 2 }); // as sysfs-dir.ts
const perPage = HUGE / BUF;
const lo = new Float64Array(pages.length * perPage);
for (let p = 0; p < pages.length; p++) {
  for (let i = 0; i < perPage; i++) lo[p * perPage + i] = (pages[p] as number) + i * BUF + HEADROOM;
}
let next = 0;
let hits = 0;
let looked = 0;
/** BATCH frames' lookups of `len` bytes (hits counted); returns the frames looked up. */
function round(len: number): number {
  for (let k = 0; k < BATCH; k++) {
    const pa = lo[next] as number;
    next = next + 1 === lo.length ? 0 : next + 1;
    if (dma.resolve(pa % 2 ** 32, Math.floor(pa / 2 ** 32), len, 2) >= 0) hits++;
  }
  looked += BATCH;
  return BATCH;
}
const whole = () => round(BUF);
const frame = () => round(1518);

summary(() => {
  bench("resolve the whole 2 KiB buffer per frame", () => do_not_optimize(whole()));
  bench("resolve what a kept frame occupies (1518 B)", () => do_not_optimize(frame()));
});
report(await run({ colors: false }));
const cpuWhole = cpuPerPacket(whole, () => looked, 20_000);
const cpuFrame = cpuPerPacket(frame, () => looked, 20_000);
console.log(
  `CPU per frame: whole buffer ${cpuWhole.toFixed(1)} ns, frame only ${cpuFrame.toFixed(1)} ns; ` +
    `smaps scans ${dma.scans}, faults ${dma.faults}, hits ${hits}`,
);
dma.close();
client.kill();
await client.exited;
