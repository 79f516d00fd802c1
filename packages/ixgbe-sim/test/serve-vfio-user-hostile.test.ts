/*
 * A hostile client on one port of a running simulator: DMA windows past the end of their file,
 * memory that could shrink under the model, 64 GiB windows mapped and unmapped over and over.
 * Before the checks the first of these killed the whole process (SIGBUS) and the last leaked
 * about 1 TiB of address space per attempt. The other port's client must be served throughout,
 * the next client of the attacked port afterwards, and the process's virtual size must come
 * back (measured from /proc/<pid>/status).
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import * as R from "@dataplane/ixgbe/regs";
import { close, ftruncate, constants as K, memfdCreate } from "@dataplane/sys";
import { connectVfioUser, REGION_BAR0 } from "@dataplane/vfio";
import { type SimHandle, startSim } from "../src/runtime/start.ts";

const GiB = 2 ** 30;
let sim: SimHandle;
const socket = (port: number) => (sim.specs[port] as string).slice("vfio-user:".length);
const vmKiB = () =>
  Number(/VmSize:\s+(\d+)/.exec(readFileSync(`/proc/${sim.pid}/status`, "utf8"))?.[1] ?? -1);

beforeAll(async () => {
  sim = await startSim({ ports: 2, wires: ["null", "null"] });
}, 60_000);
afterAll(() => sim.stop());

/** A memfd of `bytes` (sparse), sealable or not. */
function memfd(bytes: number, sealable: boolean): number {
  const fd = memfdCreate("sim-hostile", K.MFD_CLOEXEC | (sealable ? K.MFD_ALLOW_SEALING : 0));
  ftruncate(fd, bytes);
  return fd;
}

test("a hostile DMA_MAP client cannot crash or bloat the simulator; both ports keep serving", async () => {
  using other = connectVfioUser(socket(1));
  const status = () => other.regionRead32(REGION_BAR0, R.STATUS);
  const lan1 = status();
  const vm0 = vmKiB();
  const small = memfd(0x1000, true);
  const loose = memfd(0x10000, false);
  const big = memfd(64 * GiB, true);
  try {
    {
      using bad = connectVfioUser(socket(0));
      const dmaError = expect.objectContaining({ code: "DMA" });
      // Past the end of the file: would be SIGBUS at the first DMA.
      expect(() =>
        bad.dmaMap({ address: 0, bytes: 0x10000, fd: small, fdOffset: 0 }, 0x100000),
      ).toThrow(dmaError);
      // A file nobody can stop from shrinking.
      expect(() =>
        bad.dmaMap({ address: 0, bytes: 0x10000, fd: loose, fdOffset: 0 }, 0x100000),
      ).toThrow(dmaError);
      expect(status()).toBe(lan1);
      // 64 GiB in one DMA_MAP, again and again; the file is sealed: it can no longer shrink.
      for (let i = 0; i < 4; i++) {
        bad.dmaMap({ address: 0, bytes: 64 * GiB, fd: big, fdOffset: 0 }, 2 ** 40);
        expect(vmKiB() - vm0).toBeGreaterThanOrEqual((64 * GiB) / 1024);
        bad.dmaUnmap(2 ** 40, 64 * GiB);
        expect(status()).toBe(lan1);
      }
      expect(() => ftruncate(big, GiB)).toThrow(/EPERM/);
      bad.dmaMap({ address: 0, bytes: 64 * GiB, fd: big, fdOffset: 0 }, 2 ** 40);
      // ...and leaves with it mapped.
    }
    using next = connectVfioUser(socket(0)); // the server drops the old client before this
    expect(next.readConfig(0, 2)).toBe(0x8086);
    expect(vmKiB() - vm0).toBeLessThan(256 * 1024);
    expect(status()).toBe(lan1);
    const stats = (await sim.stats()) as { ports: unknown[] };
    expect(stats.ports.length).toBe(2);
    // Each refusal told the operator what was wrong and what to do (stderr arrives async).
    const logged = (s: string) => sim.stderr().includes(s);
    for (
      let i = 0;
      i < 500 && !(logged("past the end of its file") && logged("MFD_ALLOW_SEALING"));
      i++
    )
      await Bun.sleep(10);
    expect(sim.stderr()).toContain("runs past the end of its file");
    expect(sim.stderr()).toContain("MFD_ALLOW_SEALING");
  } finally {
    for (const fd of [small, loose, big]) close(fd);
  }
}, 60_000);
