/*
 * DMA protections as an IOMMU enforces them: the model says whether each access reads or
 * writes host memory, so windows a vfio-user client mapped READ-only (or WRITE-only) refuse the
 * other kind as a DMA fault. Host memory here is the vfio-user server's DmaSpace over a memfd:
 * rings read-write, RX buffers READ-only (the device must not write them), TX buffers READ-only
 * (the device only reads them).
 */
import { afterEach, beforeEach, expect, test } from "bun:test";
import {
  close,
  ftruncate,
  constants as K,
  memfdCreate,
  mmap,
  munmap,
  viewOf,
} from "@dataplane/sys";
import { DMA_READ, DMA_READ_WRITE, DMA_WRITE, DmaSpace } from "@dataplane/vfio";
import { DmaSwitch } from "../src/serve/dma-switch.ts";
import { initPort, LAYOUT, OTHER_MAC, rawFrame, setupRx, setupTx } from "./conformance/host.ts";
import { HOST_BYTES, HOST_IOVA, inProcessFactory } from "./conformance/in-process.ts";
import type { ConformanceTarget } from "./conformance/target.ts";

let t: ConformanceTarget;

/** The memfd behind host memory, mapped here for the host and as three windows for the device. */
function protectedMemory() {
  const fd = memfdCreate("dma-access", K.MFD_CLOEXEC);
  ftruncate(fd, HOST_BYTES);
  const at = mmap(HOST_BYTES, K.PROT_READ | K.PROT_WRITE, K.MAP_SHARED, fd);
  const dma = new DmaSpace();
  dma.map(HOST_IOVA, LAYOUT.rxBuf(0), fd, 0, DMA_READ_WRITE);
  const rxEnd = LAYOUT.txBuf;
  dma.map(HOST_IOVA + LAYOUT.rxBuf(0), rxEnd - LAYOUT.rxBuf(0), fd, LAYOUT.rxBuf(0), DMA_READ);
  dma.map(HOST_IOVA + rxEnd, HOST_BYTES - rxEnd, fd, rxEnd, DMA_READ);
  const view = viewOf(at, HOST_BYTES);
  const sw = new DmaSwitch();
  sw.use(dma); // as a served port sees it
  return {
    dma: sw,
    mem: new Uint8Array(view),
    mem32: new Uint32Array(view),
    close() {
      dma.clear();
      munmap(at, HOST_BYTES);
      close(fd);
    },
  };
}

beforeEach(() => {
  t = inProcessFactory([], {}, protectedMemory)({ linkUpDelayMs: 0 });
  initPort(t);
});
afterEach(() => t.close());

test("an RX frame into a READ-only window is a DMA fault; the buffer stays untouched", () => {
  const rx = setupRx(t, 0, { count: 8 });
  t.inject(rawFrame(60)); // to the port's own MAC
  t.run();
  expect(t.control.stats().dmaFaults).toBeGreaterThanOrEqual(1);
  expect(t.control.faults()[0]).toMatchObject({ type: "dma", what: "rx-buffer", injected: false });
  // A buffer write is posted: the card never learns of the fault, so the descriptor is still
  // written back (DD) and the queue runs on, but no byte reaches the read-only buffer.
  expect(rx.status(0) & 1).toBe(1);
  expect(t.control.stats().rx.bufferFaults).toBe(1);
  expect(t.mem.subarray(rx.bufOff(0), rx.bufOff(0) + 60).every((b) => b === 0)).toBe(true);
});

test("TX from a READ-only window works: the device only reads it", () => {
  const tx = setupTx(t, 0, 8);
  const a = tx.frame(rawFrame(60, OTHER_MAC, 2));
  tx.kick();
  t.run();
  expect(t.sent()).toEqual([rawFrame(60, OTHER_MAC, 2)]);
  expect(tx.dd(a)).toBe(true);
  expect(t.control.stats().dmaFaults).toBe(0);
});

test("the access kinds reach the space: write-only refuses reads, read-only refuses writes", () => {
  const lo = (HOST_IOVA + LAYOUT.txBuf) >>> 0;
  const hi = Math.floor((HOST_IOVA + LAYOUT.txBuf) / 2 ** 32);
  const sw = new DmaSwitch();
  const fd = memfdCreate("dma-access-kinds", K.MFD_CLOEXEC);
  ftruncate(fd, 0x2000);
  const space = new DmaSpace();
  try {
    space.map(HOST_IOVA + LAYOUT.txBuf, 0x1000, fd, 0, DMA_READ);
    space.map(HOST_IOVA + LAYOUT.txBuf + 0x1000, 0x1000, fd, 0x1000, DMA_WRITE);
    sw.use(space);
    expect(sw.resolve(lo, hi, 64, DMA_READ)).toBe(0);
    expect(sw.resolve(lo, hi, 64, DMA_WRITE)).toBe(-1);
    expect(sw.resolve(lo, hi, 64, DMA_READ_WRITE)).toBe(-1);
    expect(sw.resolve(lo + 0x1000, hi, 64, DMA_WRITE)).toBe(1);
    expect(sw.resolve(lo + 0x1000, hi, 64, DMA_READ)).toBe(-1);
  } finally {
    space.clear();
    close(fd);
  }
});
