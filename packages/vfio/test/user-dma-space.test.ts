/* DmaSpace: window bookkeeping and translation, on memfd mappings in this process. */
import { expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { close, ftruncate, constants as K, memfdCreate } from "@dataplane/sys";
import { DMA_READ, DMA_READ_WRITE, DMA_WRITE, DmaSpace, VIEW_STRIDE } from "../src/index.ts";

function memfd(bytes: number): number {
  const fd = memfdCreate("dma-space-test", K.MFD_CLOEXEC);
  ftruncate(fd, bytes);
  return fd;
}

test("resolve: inside, at the edges, straddling, unmapped; offset and fault count", () => {
  const dma = new DmaSpace();
  const fd = memfd(0x20000);
  try {
    const hiIova = 0x7f12_0000_0000; // needs the high half
    expect(dma.map(hiIova, 0x20000, fd, 0, DMA_READ_WRITE)).toBe(0);
    expect(dma.map(0x1000_0000, 0x10000, fd, 0x10000, DMA_READ)).toBe(1);
    const lo = (v: number) => v >>> 0;
    const hi = (v: number) => Math.floor(v / 2 ** 32);
    expect(dma.resolve(lo(hiIova + 0x40), hi(hiIova), 16)).toBe(0);
    expect(dma.offset).toBe(0x40);
    expect(dma.resolve(lo(hiIova + 0x1fff0), hi(hiIova), 16)).toBe(0); // last 16 bytes
    expect(dma.resolve(lo(hiIova + 0x1fff8), hi(hiIova), 16)).toBe(-1); // runs past the end
    expect(dma.resolve(0x1000_0000 + 8, 0, 8)).toBe(1);
    expect(dma.offset).toBe(8);
    expect(dma.resolve(0x2000_0000, 0, 4)).toBe(-1);
    expect(dma.faults).toBe(2);
    expect(dma.resolveWrite(0x1000_0000, 0, 4)).toBe(-1); // mapped read-only
    expect(dma.faults).toBe(3);
    // Both windows show the same file: window 0 at byte 0x10000 is window 1's first byte.
    (dma.u32[0] as Uint32Array)[0x4000] = 0xfeedface;
    expect((dma.u32[1] as Uint32Array)[0]).toBe(0xfeedface);
    expect(dma.address[0]).toBeGreaterThan(0);
  } finally {
    dma.clear();
    close(fd);
  }
  expect(dma.count).toBe(0);
});

test("map/unmap bookkeeping: overlap, exact find, move down on unmap, generation", () => {
  const dma = new DmaSpace(2);
  const fd = memfd(0x3000);
  try {
    dma.map(0x1000, 0x1000, fd, 0, DMA_READ_WRITE);
    dma.map(0x3000, 0x1000, fd, 0x1000, DMA_WRITE);
    expect(dma.overlaps(0x1800, 0x1000)).toBe(true);
    expect(dma.overlaps(0x2000, 0x1000)).toBe(false);
    expect(dma.find(0x3000, 0x1000)).toBe(1);
    expect(dma.find(0x3000, 0x800)).toBe(-1);
    const g = dma.generation;
    dma.unmap(0);
    expect(dma.generation).toBe(g + 1);
    expect(dma.count).toBe(1);
    expect(dma.iovaOf(0)).toBe(0x3000); // the later window moved down
    expect(dma.sizeOf(0)).toBe(0x1000);
    expect(dma.resolve(0x3004, 0, 4, DMA_WRITE)).toBe(0);
    expect(dma.resolve(0x3004, 0, 4)).toBe(-1); // write-only: the device may not read it
    dma.unmap(5); // out of range: ignored
    expect(dma.count).toBe(1);
  } finally {
    dma.clear();
    close(fd);
  }
});

/** This process's virtual size in KiB (VmSize). */
function vmKiB(): number {
  const m = /VmSize:\s+(\d+)/.exec(readFileSync("/proc/self/status", "utf8"));
  return m ? Number(m[1]) : -1;
}

const GiB = 2 ** 30;
/** A sparse memfd: the test touches a few pages of it, so size costs address space only. */
const BIG = 64 * GiB;

test("a 64 GiB window: every byte reachable through views, offsets below 2^31", () => {
  const dma = new DmaSpace();
  const fd = memfd(BIG);
  const iova = 2 ** 44; // high half in use, and iova + size far above 2^32
  const split = (v: number): [number, number] => [v >>> 0, Math.floor(v / 2 ** 32)];
  try {
    expect(dma.map(iova, BIG, fd, 0, DMA_READ_WRITE)).toBe(0);
    expect(dma.count).toBe(1);
    expect(dma.u8.length).toBe(BIG / VIEW_STRIDE);
    // Writes through the view an access resolves to land at the right file offset: check them
    // against a second, independent window over the same file at a known place.
    const probe = new DmaSpace();
    try {
      for (const at of [0, VIEW_STRIDE - 8, VIEW_STRIDE, 5 * GiB + 12, 33 * GiB - 4, BIG - 16]) {
        const v = dma.resolve(...split(iova + at), 16, DMA_WRITE);
        expect(v).toBeGreaterThanOrEqual(0);
        expect(dma.offset).toBeLessThan(2 ** 31);
        (dma.u32[v] as Uint32Array)[dma.offset >>> 2] = (at / 4) >>> 0;
        const page = Math.floor(at / 4096) * 4096;
        probe.map(0x1000, 0x2000, fd, page, DMA_READ);
        expect(probe.resolve(0x1000 + (at - page), 0, 4)).toBe(0);
        expect((probe.u32[0] as Uint32Array)[probe.offset >>> 2]).toBe((at / 4) >>> 0);
        probe.clear();
      }
    } finally {
      probe.clear();
    }
    // An access straddling a view boundary is served whole by the view it starts in.
    const v = dma.resolve(...split(iova + 3 * VIEW_STRIDE - 8), 64, DMA_READ);
    expect(v).toBe(2);
    expect(dma.offset).toBe(VIEW_STRIDE - 8);
    expect(dma.resolve(...split(iova + BIG - 8), 16, DMA_READ)).toBe(-1); // past the end
    expect(dma.resolve(...split(iova - 4), 8, DMA_READ)).toBe(-1); // before the start
  } finally {
    dma.clear();
    close(fd);
  }
});

test("a failed map leaves nothing mapped; unmapping a big window returns the address space", () => {
  const dma = new DmaSpace();
  const fd = memfd(8 * GiB);
  try {
    const before = vmKiB();
    expect(() => dma.map(0x10000, 8 * GiB, fd, 3, DMA_READ_WRITE)).toThrow(); // unaligned offset
    expect(dma.count).toBe(0);
    dma.map(2 ** 40, 8 * GiB, fd, 0, DMA_READ_WRITE);
    expect(vmKiB() - before).toBeGreaterThanOrEqual((8 * GiB) / 1024);
    dma.clear();
    expect(vmKiB() - before).toBeLessThan(64 * 1024);
    expect(dma.u8.length).toBe(0);
  } finally {
    dma.clear();
    close(fd);
  }
});
