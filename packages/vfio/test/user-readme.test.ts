/* The README's client example, run against the test device server. */
import { expect, test } from "bun:test";
import { close, eventfd, eventfdRead, constants as K, pollOne } from "@dataplane/sys";
import { connectVfioUser, IRQ_MSIX, REGION_BAR0, REGION_CONFIG } from "../src/index.ts";
import { REG } from "./fixtures/test-device.ts";
import { hugeMemory, requireOrSkip, spawnServer } from "./helpers.ts";

test("README: connect, config, BAR0, DMA, MSI-X", async () => {
  const server = await spawnServer();
  const mem = hugeMemory(2 << 20);
  const efd = eventfd(0, K.EFD_NONBLOCK);
  try {
    if (!requireOrSkip(typeof mem === "string" ? mem : null) || typeof mem === "string") return;
    // --- README example starts ---
    using dev = connectVfioUser(server.path, { timeoutMs: 2000 });
    const cmd = dev.readConfig(4, 2);
    dev.writeConfig(4, 2, cmd | 0x4); // bus master on
    const bar0 = dev.mapRegion(REGION_BAR0); // sparse areas mmapped, the rest trapped
    bar0.write32(REG.SCRATCH, 0x1234); // a REGION_WRITE round trip
    const iova = dev.dmaMap(mem); // DMA_MAP with mem.fd; IOVA = mem.address
    dev.setIrqEventfds(IRQ_MSIX, 0, [efd]); // vector 0 -> efd
    // --- README example ends ---
    expect(dev.regionInfo(REGION_CONFIG).size).toBe(256);
    expect(dev.readConfig(4, 2) & 0x4).toBe(0x4);
    expect(bar0.read32(REG.SCRATCH)).toBe(0x1234);
    expect(iova).toBe(mem.address);
    bar0.write32(REG.IRQ_FIRE, 0);
    expect(pollOne(efd, K.POLLIN, 1000) & K.POLLIN).toBe(K.POLLIN);
    expect(eventfdRead(efd)).toBe(1);
  } finally {
    close(efd);
    if (typeof mem !== "string") mem.free();
    await server.stop();
  }
});
