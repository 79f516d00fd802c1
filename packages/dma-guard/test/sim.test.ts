// The guardian against ixgbe-sim over sysfs (physical DMA, no IOMMU): an owner forwarding
// traffic with the 82599 driver is SIGKILLed; the model must see Bus Master Enable cleared while
// the dead owner's memory is still there, make no DMA access afterwards, and the guardian must
// let the memory go only after the device confirmed its reset.
import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import { startSim } from "@dataplane/ixgbe-sim";
import {
  firstLine,
  freeHugePages,
  hugetlbKb,
  isRoot,
  type LogLine,
  need,
  readLog,
  until,
} from "./support.ts";

const OWNER = join(import.meta.dir, "fixtures/nic-owner.ts");

interface BusMasterChange {
  on: boolean;
  accesses: number;
  resets: number;
  clientPid: number;
}
interface Stats {
  model: { resets: number };
  transport: {
    dmaAccesses: number;
    busMasterChanges: BusMasterChange[];
    sysfs: { clientPid: number };
  };
}

describe("guardian vs ixgbe-sim over sysfs", () => {
  test("SIGKILL mid-traffic: BME cleared while the memory is held, no DMA after, then freed", async () => {
    if (!need("root and 64 free 2 MiB hugepages", isRoot() && freeHugePages() >= 64)) return;
    const root = `/dev/shm/dma-guard-${process.pid}`;
    const log = `${root}.log`;
    await using sim = await startSim({ ports: 1, wires: ["gen:rate=100k+sink"], sysfs: root });
    const stats = async () => (await sim.control(0, "stats")) as Stats;
    const owner = Bun.spawn(
      [process.execPath, OWNER, sim.sysfs[0] as string, sim.controlPath, log],
      {
        stdout: "pipe",
        stderr: "pipe",
      },
    );
    try {
      const info = JSON.parse(await firstLine(owner.stdout)) as {
        pid: number;
        guardian: number;
        held: number;
      };
      expect(info.held).toBeGreaterThan(0);
      // Traffic: the model reads and writes the owner's memory.
      const start = (await stats()).transport.dmaAccesses;
      await until(
        async () => (await stats()).transport.dmaAccesses > start + 1000,
        20_000,
        "DMA traffic",
      );
      const resetsBefore = (await stats()).model.resets;

      owner.kill("SIGKILL");
      await owner.exited;
      const events = await until(
        () => {
          const l = readLog(log);
          return l.some((e) => e.event === "memory-released") ? l : undefined;
        },
        30_000,
        "the guardian to release the memory",
      );
      const at = (event: string) => (events.find((e) => e.event === event) as LogLine).seq;
      expect(at("owner-gone")).toBeLessThan(at("bus-master-cleared"));
      expect(at("bus-master-cleared")).toBeLessThan(at("device-stopped"));
      expect(at("device-stopped")).toBeLessThan(at("memory-released"));
      expect(events.find((e) => e.event === "device-stopped")?.how).toContain("CTRL.RST");

      // The model lets the dead client go once the guardian is done; then nothing is mapped.
      await until(
        async () => (await stats()).transport.sysfs.clientPid === -1,
        20_000,
        "the model to drop the client",
      );
      const after = await stats();
      const off = after.transport.busMasterChanges.filter((c) => !c.on);
      const first = off[off.length - 1] as BusMasterChange; // the change the kill led to
      // Seen while the dead owner was still the client: the guardian cleared it, not the model's
      // own clean-up. Seen no later than the pass that acknowledged the guardian's reset, which
      // the guardian waited for before it let the memory go.
      expect(first.clientPid).toBe(info.pid);
      expect(first.resets).toBeGreaterThanOrEqual(resetsBefore);
      expect(first.resets).toBeLessThanOrEqual(resetsBefore + 1);
      // No DMA access from the moment the model saw bus mastering cleared.
      expect(after.transport.dmaAccesses).toBe(first.accesses);
      // Nobody in this test's process tree holds hugepages any more.
      await until(
        () => hugetlbKb(sim.pid) === 0 && hugetlbKb(info.guardian) === 0,
        20_000,
        "hugepages to be freed",
      );
    } finally {
      owner.kill("SIGKILL");
      await owner.exited;
      await Bun.file(log)
        .delete()
        .catch(() => {});
    }
  }, 90_000);
});
