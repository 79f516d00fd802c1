/*
 * The vfio-user client against the server, the server running the test device in a child
 * process: handshake, config space, trapped and mmapped BAR access, DMA into hugepage memory,
 * eventfd interrupts, reset, disconnect cleanup (checked in the child's /proc) and one client
 * at a time.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { close, eventfd, eventfdRead, constants as K, pollOne, viewOf } from "@dataplane/sys";
import { connectVfioUser, IRQ_MSIX, REGION_BAR0, VfioError } from "../src/index.ts";
import { BAR0_SIZE, DEVICE_ID, MMAP_START, REG } from "./fixtures/test-device.ts";
import {
  hugeMemory,
  procFds,
  procMaps,
  requireOrSkip,
  type ServerChild,
  spawnServer,
  waitFor,
} from "./helpers.ts";

const MiB2 = 2 << 20;
let server: ServerChild;

beforeAll(async () => {
  server = await spawnServer();
});
afterAll(async () => {
  await server.stop();
});

test("handshake reports the device, its regions (with the sparse area) and IRQs", () => {
  using dev = connectVfioUser(server.path);
  expect(dev.kind).toBe("vfio-user");
  expect(dev.info).toEqual({ flags: 3, numRegions: 9, numIrqs: 5 });
  const bar0 = dev.regionInfo(REGION_BAR0);
  expect(bar0.size).toBe(BAR0_SIZE);
  expect(bar0.flags & 0xf).toBe(0xf); // READ | WRITE | MMAP | CAPS
  expect(bar0.sparseAreas).toEqual([{ offset: MMAP_START, size: BAR0_SIZE - MMAP_START }]);
  expect(dev.regionInfo(1).size).toBe(0);
  expect(dev.regionInfo(7)).toMatchObject({ size: 256, flags: 3 });
  expect(dev.irqInfo(IRQ_MSIX).count).toBe(4);
  expect(dev.maxDataXfer).toBe(1 << 20);
});

test("config space: IDs, masked writes, BAR sizing", () => {
  using dev = connectVfioUser(server.path);
  expect(dev.readConfig(0, 2)).toBe(0x8086);
  expect(dev.readConfig(2, 2)).toBe(0x10fb);
  expect(dev.readConfig(0, 4)).toBe(0x10fb8086);
  dev.writeConfig(4, 2, 0xffff);
  expect(dev.readConfig(4, 2)).toBe(0x0007); // only IO, memory and bus master are writable
  dev.writeConfig(0x10, 4, 0xffffffff);
  expect(dev.readConfig(0x10, 4)).toBe(0xffffc000); // 16 KiB BAR
  expect(() => dev.readConfig(3, 2)).toThrow(VfioError);
});

test("BAR0: trapped registers round-trip, the sparse area is shared memory", () => {
  using dev = connectVfioUser(server.path);
  const bar = dev.mapRegion(REGION_BAR0);
  expect(bar.size).toBe(BAR0_SIZE);
  expect(bar.read32(REG.ID)).toBe(DEVICE_ID);
  bar.write32(REG.SCRATCH, 0xdeadbeef);
  expect(bar.read32(REG.SCRATCH)).toBe(0xdeadbeef);
  expect(bar.word(REG.SCRATCH)).toBeNull();
  const w = bar.word(MMAP_START);
  expect(w).not.toBeNull();
  if (w === null) return;
  Atomics.store(w.view, w.index, 0x600dcafe);
  expect(bar.read32(REG.MIRROR)).toBe(0x600dcafe); // the model sees our store without a message
  dev.regionWrite32(REGION_BAR0, MMAP_START + 4, 0x12345678); // trapped write into the area
  expect(Atomics.load(w.view, w.index + 1)).toBe(0x12345678);
  expect(bar.read32(MMAP_START + 4)).toBe(0x12345678);
  expect(() => bar.read32(2)).toThrow(VfioError);
  expect(() => bar.read32(BAR0_SIZE)).toThrow(VfioError);
  bar.close();
  bar.close();
  expect(() => bar.read32(0)).toThrow(VfioError);
});

test("BAR0 readMany: trapped reads go out together and come back in order, as read32 gives them", () => {
  using dev = connectVfioUser(server.path);
  const bar = dev.mapRegion(REGION_BAR0);
  bar.write32(REG.SCRATCH, 0x5eed1234);
  const offsets = Int32Array.from({ length: 150 }, (_, i) => (i % 3 === 1 ? REG.SCRATCH : REG.ID));
  const out = new Uint32Array(offsets.length);
  bar.readMany?.(offsets, out); // more than one batch
  expect(Array.from(out)).toEqual(Array.from(offsets, (o) => bar.read32(o) >>> 0));
  // mapped and trapped words mixed: each read as read32 would
  const w = bar.word(MMAP_START);
  if (w !== null) Atomics.store(w.view, w.index, 0x0badf00d);
  const mixed = Int32Array.of(MMAP_START, REG.ID, REG.MIRROR);
  const got = new Uint32Array(3);
  bar.readMany?.(mixed, got);
  expect(Array.from(got)).toEqual([0x0badf00d, DEVICE_ID, 0x0badf00d]);
  // a bad offset is refused before anything is sent; the connection goes on
  expect(() => bar.readMany?.(Int32Array.of(REG.ID, 2), new Uint32Array(2))).toThrow(VfioError);
  expect(bar.read32(REG.ID)).toBe(DEVICE_ID);
  bar.close();
});

test("BAR2: byte, half-word and multi-word region access", () => {
  using dev = connectVfioUser(server.path);
  dev.regionWrite(2, 1, new Uint8Array([0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff, 0x11]));
  expect([...dev.regionRead(2, 0, 9)]).toEqual([0, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff, 0x11, 0]);
  expect(() => dev.regionRead(2, 250, 8)).toThrow(VfioError);
});

test("DMA: the device writes into a mapped hugepage; unmapped addresses fault", () => {
  const mem = hugeMemory(MiB2);
  if (!requireOrSkip(typeof mem === "string" ? mem : null) || typeof mem === "string") return;
  try {
    using dev = connectVfioUser(server.path);
    const bar = dev.mapRegion(REGION_BAR0);
    const iova = dev.dmaMap(mem);
    expect(iova).toBe(mem.address);
    expect(bar.read32(REG.WINDOWS)).toBe(1);
    const view = new Uint32Array(viewOf(mem.address, mem.bytes));
    const target = iova + 0x1000;
    bar.write32(REG.DMA_LO, target >>> 0);
    bar.write32(REG.DMA_HI, Math.floor(target / 2 ** 32));
    bar.write32(REG.DMA_LEN, 64);
    bar.write32(REG.DMA_PATTERN, 0xa0000000);
    bar.write32(REG.DMA_GO, 1);
    expect(bar.read32(REG.DMA_STATUS)).toBe(1);
    expect(Atomics.load(view, 0x400)).toBe(0xa0000000);
    expect(Atomics.load(view, 0x40f)).toBe(0xa000000f);
    expect(Atomics.load(view, 0x410)).toBe(0);
    // A range that runs past the end of the window is a fault, not a crash.
    const faults = bar.read32(REG.FAULTS);
    const late = iova + MiB2 - 32;
    bar.write32(REG.DMA_LO, late >>> 0);
    bar.write32(REG.DMA_HI, Math.floor(late / 2 ** 32));
    bar.write32(REG.DMA_GO, 1);
    expect(bar.read32(REG.DMA_STATUS)).toBe(2);
    expect(bar.read32(REG.FAULTS)).toBe(faults + 1);
    // Overlapping maps are refused by the server.
    expect(() => dev.dmaMap(mem, iova + 4096)).toThrow(expect.objectContaining({ code: "DMA" }));
    dev.dmaUnmap(iova, MiB2);
    expect(bar.read32(REG.WINDOWS)).toBe(0);
    bar.write32(REG.DMA_LO, target >>> 0);
    bar.write32(REG.DMA_HI, Math.floor(target / 2 ** 32));
    bar.write32(REG.DMA_GO, 1);
    expect(bar.read32(REG.DMA_STATUS)).toBe(2);
    expect(() => dev.dmaUnmap(iova, MiB2)).toThrow(VfioError);
  } finally {
    mem.free();
  }
});

test("IRQ: a vector routed to an eventfd fires; unset and disabled vectors do not", () => {
  using dev = connectVfioUser(server.path);
  const bar = dev.mapRegion(REGION_BAR0);
  const efd = eventfd(0, K.EFD_NONBLOCK);
  try {
    dev.setIrqEventfds(IRQ_MSIX, 1, [efd]);
    bar.write32(REG.IRQ_FIRE, 1);
    expect(bar.read32(REG.IRQ_STATUS)).toBe(1);
    expect(pollOne(efd, K.POLLIN, 1000) & K.POLLIN).toBe(K.POLLIN);
    expect(eventfdRead(efd)).toBe(1);
    bar.write32(REG.IRQ_FIRE, 0);
    expect(bar.read32(REG.IRQ_STATUS)).toBe(0);
    bar.write32(REG.IRQ_FIRE, 1);
    bar.write32(REG.IRQ_FIRE, 1);
    expect(eventfdRead(efd)).toBe(2); // two interrupts fold into one read
    dev.disableIrqs(IRQ_MSIX);
    bar.write32(REG.IRQ_FIRE, 1);
    expect(bar.read32(REG.IRQ_STATUS)).toBe(0);
    expect(eventfdRead(efd)).toBe(0);
    expect(() => dev.setIrqEventfds(IRQ_MSIX, 3, [efd, efd])).toThrow(VfioError);
  } finally {
    close(efd);
  }
});

test("reset clears device state and is counted", () => {
  using dev = connectVfioUser(server.path);
  const bar = dev.mapRegion(REGION_BAR0);
  bar.write32(REG.SCRATCH, 42);
  const before = bar.read32(REG.RESETS);
  dev.reset();
  expect(bar.read32(REG.SCRATCH)).toBe(0);
  expect(bar.read32(REG.RESETS)).toBe(before + 1);
});

test("disconnect: the server unmaps DMA memory and closes the client's fds", async () => {
  const mem = hugeMemory(MiB2, "vfio-test-cleanup");
  if (!requireOrSkip(typeof mem === "string" ? mem : null) || typeof mem === "string") return;
  const efds = [eventfd(0, K.EFD_NONBLOCK), eventfd(0, K.EFD_NONBLOCK)];
  const mapped = () => procMaps(server.pid).some((l) => l.includes("vfio-test-cleanup"));
  const eventfds = () => procFds(server.pid).filter((t) => t.includes("eventfd")).length;
  await Bun.sleep(50); // let the server notice the previous test's client leaving
  const fdsBefore = procFds(server.pid).length;
  const eventfdsBefore = eventfds(); // the runtime keeps eventfds of its own
  const dev = connectVfioUser(server.path);
  try {
    dev.dmaMap(mem);
    dev.setIrqEventfds(IRQ_MSIX, 0, efds);
    expect(mapped()).toBe(true);
    expect(eventfds()).toBe(eventfdsBefore + 2);
    const resets = dev.mapRegion(REGION_BAR0).read32(REG.RESETS);
    dev.close();
    dev.close();
    expect(await waitFor(() => !mapped() && eventfds() === eventfdsBefore)).toBe(true);
    expect(await waitFor(() => procFds(server.pid).length === fdsBefore)).toBe(true);
    using again = connectVfioUser(server.path);
    expect(again.mapRegion(REGION_BAR0).read32(REG.RESETS)).toBe(resets + 1);
    expect(() => dev.reset()).toThrow(VfioError);
  } finally {
    dev.close();
    for (const fd of efds) close(fd);
    mem.free();
  }
});

test("one client at a time: a second one is turned away, then served after the first", () => {
  const first = connectVfioUser(server.path);
  let err: unknown;
  try {
    connectVfioUser(server.path, { timeoutMs: 1000 }).close();
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(VfioError);
  expect((err as VfioError).code).toBe("BUSY"); // told why, not a reset connection
  expect((err as VfioError).message).toContain("is in use by another client");
  first.close();
  using second = connectVfioUser(server.path);
  expect(second.readConfig(0, 2)).toBe(0x8086);
});
