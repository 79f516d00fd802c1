/* Port/Device construction, config space, DMA windows, the packet buffer FIFO. */
import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import * as R from "@dataplane/ixgbe/regs";
import { addressOf } from "@dataplane/sys";
import { WindowDmaSpace } from "../src/dma/window-dma.ts";
import { IxgbeSimError } from "../src/errors.ts";
import { CAP, configSpace } from "../src/model/config-space.ts";
import { Device } from "../src/model/device.ts";
import { PacketBuffer } from "../src/model/packet-buffer.ts";
import { Port } from "../src/model/port.ts";
import { QueueWire } from "./conformance/queue-wire.ts";

const hugeFree = (): number => {
  const m = /HugePages_Free:\s+(\d+)/.exec(readFileSync("/proc/meminfo", "utf8"));
  return m ? Number(m[1]) : 0;
};

describe("construction", () => {
  test("bad options are refused with a code", () => {
    const dma = new WindowDmaSpace();
    const wire = new QueueWire();
    const err = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        return e instanceof IxgbeSimError ? e.code : "other";
      }
      return "none";
    };
    expect(err(() => new Port({ dma, wire, bar: new Uint32Array(10) }))).toBe("BAD_BAR");
    expect(err(() => new Port({ dma, wire, lanId: 2 }))).toBe("BAD_OPTION");
    expect(err(() => new Port({ dma, wire, mac: "zz:00:00:00:00:00" }))).toBe("BAD_OPTION");
    expect(err(() => new Port({ dma, wire, queues: 0 }))).toBe("BAD_OPTION");
    expect(err(() => new Device([]))).toBe("BAD_OPTION");
  });

  test("a two-port device: LAN IDs and EEPROM MACs per function", () => {
    const dma = new WindowDmaSpace();
    const dev = new Device([
      { dma, wire: new QueueWire() },
      { dma, wire: new QueueWire(), mac: "02:00:00:00:00:42" },
    ]);
    const [p0, p1] = dev.ports as [Port, Port];
    expect((p0.mmioRead(R.STATUS) >>> 2) & 3).toBe(0);
    expect((p1.mmioRead(R.STATUS) >>> 2) & 3).toBe(1);
    expect(p1.mmioRead(R.RAH(0)) & 0xffff).toBe(0x4200);
    expect(dev.step()).toBe(0);
  });

  test("queues beyond the configured count never enable", () => {
    const port = new Port({ dma: new WindowDmaSpace(), wire: new QueueWire(), queues: 4 });
    for (const q of [3, 4]) {
      port.mmioWrite(R.RDBAL(q), 0x1000);
      port.mmioWrite(R.RDLEN(q), 128);
      port.mmioWrite(R.RXDCTL(q), R.RXDCTL_ENABLE);
    }
    expect(port.mmioRead(R.RXDCTL(3)) & R.RXDCTL_ENABLE).toBe(R.RXDCTL_ENABLE);
    expect(port.mmioRead(R.RXDCTL(4)) & R.RXDCTL_ENABLE).toBe(0);
  });
});

describe("config space", () => {
  test("IDs, class, 64-bit BAR0, capability chain PM -> MSI -> MSI-X(64) -> PCIe", () => {
    const c = configSpace({ function: 1, size: 256 });
    const v = new DataView(c.buffer);
    expect(c.length).toBe(256);
    expect(v.getUint16(0, true)).toBe(0x8086);
    expect(v.getUint16(2, true)).toBe(0x10fb);
    expect(v.getUint32(8, true) >>> 8).toBe(0x020000);
    expect(v.getUint32(0x10, true) & 0x7).toBe(0x4);
    expect(c[0x3d]).toBe(2);
    const chain: number[] = [];
    for (let p = c[0x34] as number; p !== 0; p = c[p + 1] as number) chain.push(p, c[p] as number);
    expect(chain).toEqual([CAP.PM, 0x01, CAP.MSI, 0x05, CAP.MSIX, 0x11, CAP.PCIE, 0x10]);
    expect((v.getUint16(CAP.MSIX + 2, true) & 0x7ff) + 1).toBe(64);
    expect(v.getUint16(CAP.PM + 4, true) & 3).toBe(0); // D0
    expect(configSpace().length).toBe(4096);
  });
});

describe("WindowDmaSpace", () => {
  test("resolves 64-bit addresses, refuses overlap and gaps, closes idempotently", () => {
    const dma = new WindowDmaSpace();
    const a = dma.map(0x1_0000_0000, 8192);
    const b = dma.addWindow(0x2000, new ArrayBuffer(4096));
    expect(dma.resolve(0x100, 1, 16)).toBe(a);
    expect(dma.offset).toBe(0x100);
    expect(dma.resolve(0x2ff0, 0, 16)).toBe(b);
    expect(dma.resolve(0x2ff8, 0, 16)).toBe(-1); // runs past the end
    expect(dma.resolve(0, 2, 4)).toBe(-1);
    expect(() => dma.addWindow(0x2800, new ArrayBuffer(64))).toThrow(IxgbeSimError);
    const gen = dma.generation;
    dma.removeWindow(b);
    expect(dma.generation).toBe(gen + 1);
    expect(dma.resolve(0x2000, 0, 4)).toBe(-1);
    dma.close();
    dma.close();
    expect(() => dma.map(0, 4096)).toThrow(IxgbeSimError);
  });

  test("hugepage-backed window", () => {
    if (hugeFree() < 1) {
      if (process.env.CI === "true")
        throw new Error("no free 2 MiB hugepage: reserve some (vm.nr_hugepages)");
      console.warn("skipped: no free 2 MiB hugepage");
      return;
    }
    using dma = new WindowDmaSpace();
    const w = dma.map(0x4000_0000, 4096, { hugepages: true });
    expect((dma.u8[w] as Uint8Array).length).toBe(2 * 1024 * 1024);
    expect(dma.resolve(0x4000_0000 + 2 * 1024 * 1024 - 4, 0, 4)).toBe(w);
  });
});

describe("packet buffer", () => {
  test("FIFO order, capacity limit and wrap-around over many pushes", () => {
    const pb = new PacketBuffer();
    const src = new Uint8Array(new ArrayBuffer(2048));
    const addr = addressOf(src);
    let pushed = 0;
    let popped = 0;
    for (let round = 0; round < 2000; round++) {
      src[0] = pushed & 0xff;
      if (pb.push(addr, 1000 + (pushed % 7), pushed, 0, 0, 0, 64 * 1024)) pushed++;
      if (round % 3 === 2) {
        const w = pb.head >>> 2;
        expect(pb.u32[w + 1]).toBe(popped);
        expect(pb.u8[pb.head + 16]).toBe(popped & 0xff);
        pb.pop();
        popped++;
      }
    }
    expect(pb.bytes).toBeLessThanOrEqual(64 * 1024);
    expect(pb.count).toBe(pushed - popped);
  });
});
