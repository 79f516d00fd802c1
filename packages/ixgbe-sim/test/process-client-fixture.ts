/*
 * A driver-like client for process tests: connects to a simulator port over vfio-user, maps
 * 2 MiB of hugepage memory (memfd named by argv[3]) for DMA, brings the link up, enables RX
 * queue 0 and keeps recycling its descriptors until it is killed. Prints "ready" once frames
 * can flow. Usage: bun process-client-fixture.ts SOCKET MEMFD-NAME
 */

import { allocate } from "@dataplane/hugemem";
import * as R from "@dataplane/ixgbe/regs";
import { connectVfioUser, REGION_BAR0 } from "@dataplane/vfio";
import { initPort, LAYOUT, setupRx } from "./conformance/host.ts";
import type { ConformanceTarget } from "./conformance/target.ts";

const [socket, name] = process.argv.slice(2) as [string, string];
const IOVA = 0x4000_0000;
const mem = allocate({ bytes: 2 * 1024 * 1024, name });
const dev = connectVfioUser(socket);
dev.writeConfig(4, 2, dev.readConfig(4, 2) | 0x6);
const bar = dev.mapRegion(REGION_BAR0);
dev.dmaMap(mem, IOVA);
const t = {
  read32: (o: number) => bar.read32(o),
  write32: (o: number, v: number) => bar.write32(o, v),
  mem: mem.u8,
  mem32: mem.u32,
  memIova: IOVA,
  run: () => Bun.sleepSync(1),
  advanceMs: (ms: number) => Bun.sleepSync(ms),
} as unknown as ConformanceTarget;
initPort(t);
const count = 256;
const rx = setupRx(t, 0, { count });
process.stdout.write("ready\n");
const ring = LAYOUT.rxRing(0) >>> 2;
let next = 0;
for (;;) {
  let n = 0;
  // The device writes the status word from another process: Atomics.load, never a plain read.
  while ((Atomics.load(mem.u32, ring + next * 4 + 2) & R.RXDADV_STAT_DD) !== 0) {
    rx.arm(next);
    next = (next + 1) % count;
    n++;
  }
  if (n > 0) rx.setTail((next + count - 1) % count);
  Bun.sleepSync(1);
}
