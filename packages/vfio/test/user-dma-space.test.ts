/* DmaSpace: window bookkeeping and translation, on memfd mappings in this process. */
import { expect, test } from "bun:test";
import { close, ftruncate, constants as K, memfdCreate } from "@dataplane/sys";
import { DmaSpace } from "../src/index.ts";

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
    expect(dma.map(hiIova, 0x20000, fd, 0, true)).toBe(0);
    expect(dma.map(0x1000_0000, 0x10000, fd, 0x10000, false)).toBe(1);
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

test("map/unmap bookkeeping: overlap, exact find, swap on unmap, generation", () => {
  const dma = new DmaSpace(2);
  const fd = memfd(0x3000);
  try {
    dma.map(0x1000, 0x1000, fd, 0, true);
    dma.map(0x3000, 0x1000, fd, 0x1000, true);
    expect(dma.overlaps(0x1800, 0x1000)).toBe(true);
    expect(dma.overlaps(0x2000, 0x1000)).toBe(false);
    expect(dma.find(0x3000, 0x1000)).toBe(1);
    expect(dma.find(0x3000, 0x800)).toBe(-1);
    const g = dma.generation;
    dma.unmap(0);
    expect(dma.generation).toBe(g + 1);
    expect(dma.count).toBe(1);
    expect(dma.iovaOf(0)).toBe(0x3000); // the last window moved into the hole
    expect(dma.sizeOf(0)).toBe(0x1000);
    expect(dma.resolve(0x3004, 0, 4)).toBe(0);
    dma.unmap(5); // out of range: ignored
    expect(dma.count).toBe(1);
  } finally {
    dma.clear();
    close(fd);
  }
});
