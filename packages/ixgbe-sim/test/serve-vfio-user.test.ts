/*
 * A port as a vfio-user device, seen by the @dataplane/vfio client: config space (IDs, BAR
 * sizing, command register mask), regions (BAR0 with the queue pages mmappable, BAR4), IRQ
 * counts, 1/2-byte BAR0 accesses, a reset request and the disconnect reset.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import * as R from "@dataplane/ixgbe/regs";
import { connectVfioUser, IRQ_INTX, IRQ_MSIX, REGION_BAR0, REGION_CONFIG } from "@dataplane/vfio";
import { MAPPED_QUEUE_PAGES } from "../src/model/register-map.ts";
import { type SimHandle, startSim } from "../src/runtime/start.ts";

let sim: SimHandle;
let socket: string;

interface PortView {
  model: { resets: number };
  transport: { busMaster: boolean; vfioUser: { resetRequests: number; disconnects: number } };
}
const port = async () => (await sim.control(0, "stats")) as PortView;

beforeAll(async () => {
  sim = await startSim({ ports: 1, wires: ["null"] });
  socket = (sim.specs[0] as string).slice("vfio-user:".length);
}, 60_000);
afterAll(() => sim.stop());

test("config space: IDs, class, BAR sizing and the command register mask", () => {
  using dev = connectVfioUser(socket);
  expect([dev.readConfig(0, 2), dev.readConfig(2, 2), dev.readConfig(8, 4) >>> 8]).toEqual([
    0x8086, 0x10fb, 0x020000,
  ]);
  expect(dev.regionInfo(REGION_CONFIG).size).toBe(4096);
  dev.writeConfig(0x10, 4, 0xffffffff);
  expect(dev.readConfig(0x10, 4) >>> 0).toBe(0xfff80004); // 512 KiB, 64-bit memory BAR
  dev.writeConfig(0x20, 4, 0xffffffff);
  expect(dev.readConfig(0x20, 4) >>> 0).toBe(0xffffc004); // BAR4: 16 KiB MSI-X
  dev.writeConfig(0x10, 4, 0);
  dev.writeConfig(4, 2, 0xffff);
  expect(dev.readConfig(4, 2)).toBe(0x0547);
  dev.writeConfig(0, 2, 0x1234); // read-only IDs
  expect(dev.readConfig(0, 2)).toBe(0x8086);
});

test("regions and IRQs: BAR0 512 KiB with the queue pages mmappable, MSI-X 64, INTx 1", () => {
  using dev = connectVfioUser(socket);
  const bar0 = dev.regionInfo(REGION_BAR0);
  expect(bar0.size).toBe(0x80000);
  expect(bar0.sparseAreas).toEqual(
    MAPPED_QUEUE_PAGES.map((r) => ({ offset: r.start, size: r.end - r.start })),
  );
  expect(dev.regionInfo(4).size).toBe(0x4000);
  expect(dev.regionInfo(2).size).toBe(0);
  expect(dev.irqInfo(IRQ_MSIX).count).toBe(64);
  expect(dev.irqInfo(IRQ_INTX).count).toBe(1);
  const mmio = dev.mapRegion(REGION_BAR0);
  expect(mmio.word(R.RDT(0))).not.toBeNull(); // doorbells are direct
  expect(mmio.word(R.CTRL)).toBeNull(); // the rest is trapped
  mmio.write32(R.RDBAL(3), 0x12345680); // mapped: lands in shared memory...
  expect(dev.regionRead32(REGION_BAR0, R.RDBAL(3)) >>> 0).toBe(0x12345680); // ...the model sees it
});

test("1- and 2-byte BAR0 accesses: bytes of one read, merged writes", () => {
  using dev = connectVfioUser(socket);
  dev.regionWrite32(REGION_BAR0, R.MTA(7), 0x11223344);
  dev.regionWrite(REGION_BAR0, R.MTA(7) + 1, Uint8Array.of(0xaa));
  dev.regionWrite(REGION_BAR0, R.MTA(7) + 2, Uint8Array.of(0xcc, 0xbb));
  expect(dev.regionRead32(REGION_BAR0, R.MTA(7)) >>> 0).toBe(0xbbccaa44);
  expect([...dev.regionRead(REGION_BAR0, R.MTA(7) + 2, 2)]).toEqual([0xcc, 0xbb]);
  expect([...dev.regionRead(REGION_BAR0, R.STATUS, 1)]).toEqual([
    dev.regionRead32(REGION_BAR0, R.STATUS) & 0xff,
  ]);
});

test("DEVICE_RESET resets the model; a disconnect resets it and clears bus master", async () => {
  const before = await port();
  const dev = connectVfioUser(socket);
  dev.writeConfig(4, 2, 0x6);
  dev.regionWrite32(REGION_BAR0, R.FCTRL, R.FCTRL_BAM);
  dev.reset();
  expect(dev.regionRead32(REGION_BAR0, R.FCTRL)).toBe(0);
  const mid = await port();
  expect(mid.transport.vfioUser.resetRequests).toBe(before.transport.vfioUser.resetRequests + 1);
  expect(mid.transport.busMaster).toBe(true);
  dev.close();
  const deadline = Date.now() + 2000;
  let after = await port();
  while (
    after.transport.vfioUser.disconnects === mid.transport.vfioUser.disconnects &&
    Date.now() < deadline
  ) {
    await Bun.sleep(5);
    after = await port();
  }
  expect(after.transport.busMaster).toBe(false);
  expect(after.model.resets).toBe(mid.model.resets + 1);
});
