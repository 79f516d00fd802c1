/*
 * "A driver written for Linux sysfs access runs unmodified": in a private mount namespace the
 * simulator's device directory is bind-mounted over /sys/bus/pci/devices/<address>, and the
 * ixgbe driver opens the plain PCI address -- the sysfs path with physical DMA addresses, the
 * same code that drives a real card without an IOMMU. Nothing of the mount leaks out.
 */
import { expect, test } from "bun:test";
import { existsSync } from "node:fs";
import { basename, join } from "node:path";
import { startSim } from "../src/runtime/start.ts";

const canRun = process.getuid?.() === 0 && Bun.which("unshare") !== null;

test.skipIf(!canRun && process.env.CI !== "true")(
  "the driver opens a PCI address bind-mounted from the simulator's directory",
  async () => {
    if (!canRun) throw new Error("needs root and unshare(1) from util-linux (CI installs both)");
    const root = `/dev/shm/ixgbe-sim-bind-${process.pid}`;
    const sim = await startSim({ ports: 1, wires: ["gen:rate=50k"], sysfs: root, linkDelayMs: 1 });
    try {
      const dir = (sim.sysfs[0] as string).replace(/^sysfs:/, "");
      const address = basename(dir);
      const target = `/sys/bus/pci/devices/${address}`;
      expect(existsSync(target)).toBe(false); // not a real device of this machine
      const client = join(import.meta.dir, "bindmount-client-fixture.ts");
      const script = [
        "set -e",
        // A tmpfs over the devices directory gives the mount point; the real tree is untouched
        // outside this namespace.
        "mount -t tmpfs dataplane-test /sys/bus/pci/devices",
        `mkdir ${target}`,
        `mount --bind ${dir} ${target}`,
        `exec ${process.execPath} ${client} ${address}`,
      ].join("\n");
      const run = Bun.spawnSync(
        ["unshare", "--mount", "--propagation", "private", "sh", "-c", script],
        {
          stdout: "pipe",
          stderr: "pipe",
          timeout: 30_000,
        },
      );
      const out = run.stdout.toString().trim();
      if (run.exitCode !== 0)
        throw new Error(`client failed (${run.exitCode}): ${run.stderr}${out}`);
      const seen = JSON.parse(out.split("\n").at(-1) as string);
      expect(seen.kind).toBe("sysfs");
      expect(seen.link).toBe(true);
      expect(seen.frames).toBeGreaterThanOrEqual(200);
      expect(existsSync(target)).toBe(false); // the mount stayed inside the namespace
    } finally {
      await sim.stop();
    }
  },
  40_000,
);
