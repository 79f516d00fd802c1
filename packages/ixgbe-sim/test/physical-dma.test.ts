/*
 * PhysicalDmaSpace against a real client process (physical-client.ts): resolve the physical
 * addresses it prints, read its pattern, write where it can see it, follow memory it maps
 * later, and keep working after it exits. Needs root and a few free 2 MiB hugepages.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { geteuid } from "@dataplane/sys";
import { PhysicalDmaSpace } from "../src/dma/physical.ts";
import { parseHugeMappings } from "../src/dma/physical-maps.ts";
import { IxgbeSimError } from "../src/errors.ts";

const free = Number(
  /HugePages_Free:\s+(\d+)/.exec(readFileSync("/proc/meminfo", "utf8"))?.[1] ?? 0,
);
const why =
  geteuid() !== 0 ? "needs root" : free < 8 ? `needs 8 free 2 MiB hugepages (${free})` : null;
if (why !== null && process.env.CI === "true")
  throw new Error(`physical DMA test cannot run in CI: ${why}`);

interface Region {
  region: number;
  name: string;
  bytes: number;
  probes: { offset: number; pa: number; value: number }[];
}

class Client {
  readonly proc = Bun.spawn([process.execPath, `${import.meta.dir}/physical-client.ts`], {
    stdin: "pipe",
    stdout: "pipe",
    stderr: "inherit",
  });
  private readonly reader = this.proc.stdout.getReader();
  private buffered = "";

  async line(): Promise<string> {
    for (;;) {
      const nl = this.buffered.indexOf("\n");
      if (nl >= 0) {
        const line = this.buffered.slice(0, nl);
        this.buffered = this.buffered.slice(nl + 1);
        return line;
      }
      const { value, done } = await this.reader.read();
      if (done) throw new Error("client exited early");
      this.buffered += new TextDecoder().decode(value);
    }
  }

  async send(cmd: string): Promise<void> {
    this.proc.stdin.write(`${cmd}\n`);
    await this.proc.stdin.flush();
  }

  async regions(): Promise<Region[]> {
    const out: Region[] = [];
    for (let l = await this.line(); l !== "ready"; l = await this.line()) out.push(JSON.parse(l));
    return out;
  }
}

const split = (pa: number) => [pa % 2 ** 32, Math.floor(pa / 2 ** 32)] as const;
const ownHugeMappings = () => parseHugeMappings(readFileSync("/proc/self/smaps", "utf8")).length;
const clients: Client[] = [];
afterAll(() => {
  for (const c of clients) c.proc.kill();
});

describe.skipIf(why !== null)(`physical DMA (${why ?? "root"})`, () => {
  test("resolves the client's physical addresses; reads and writes are shared", async () => {
    const client = new Client();
    clients.push(client);
    const regions = await client.regions();
    expect(regions.map((r) => r.name)).toContain("anon");
    const before = ownHugeMappings();
    const dma = new PhysicalDmaSpace(client.proc.pid, { rescanIntervalMs: 0 });
    try {
      expect(dma.mappedBytes).toBe(regions.reduce((a, r) => a + r.bytes, 0));
      for (const r of regions) {
        for (const p of r.probes) {
          const [lo, hi] = split(p.pa);
          const w = dma.resolve(lo, hi, 4);
          expect(w).toBeGreaterThanOrEqual(0);
          expect((dma.u32[w] as Uint32Array)[dma.offset / 4]).toBe(p.value);
          expect((dma.u8[w] as Uint8Array)[dma.offset]).toBe(p.value & 0xff);
        }
      }
      // Our write shows up in the client.
      const p = (regions[0] as Region).probes[1] as Region["probes"][number];
      const w = dma.resolve(...split(p.pa), 4);
      (dma.u32[w] as Uint32Array)[dma.offset / 4] = 0xfeedbeef;
      await client.send(`peek 0 ${p.offset}`);
      expect(Number(await client.line())).toBe(0xfeedbeef);
      const faults = dma.faults;
      const g = dma.generation;
      // Memory the client maps later: a miss is a fault and reads nothing; refresh() finds it.
      await client.send("map");
      const later = JSON.parse(await client.line()) as Region;
      const q = later.probes[1] as Region["probes"][number];
      const scans = dma.scans;
      expect(dma.resolve(...split(q.pa), 4)).toBe(-1);
      expect(dma.scans).toBe(scans);
      expect(dma.refresh()).toBe(true);
      expect(dma.scans).toBe(scans + 1);
      const wl = dma.resolve(...split(q.pa), 4);
      expect(wl).toBeGreaterThanOrEqual(0);
      expect((dma.u32[wl] as Uint32Array)[dma.offset / 4]).toBe(q.value);
      expect(dma.generation).toBe(g + 1);
      expect(dma.faults).toBe(faults + 1);
      // After the client exits, the windows stay valid until close().
      await client.send("exit");
      await client.proc.exited;
      expect((dma.u32[wl] as Uint32Array)[dma.offset / 4]).toBe(q.value);
      expect(dma.resolve(0x1000, 0, 4)).toBe(-1);
      expect(dma.refresh()).toBe(false); // the slow path notices the client is gone
      expect(dma.clientGone).toBe(true);
      expect(dma.faults).toBe(faults + 2);
    } finally {
      dma.close();
      dma.close();
    }
    expect(ownHugeMappings()).toBe(before);
  }, 60_000);

  test("misses never rescan; refresh() reads smaps only for new shared mappings", async () => {
    const client = new Client();
    clients.push(client);
    await client.regions();
    using dma = new PhysicalDmaSpace(client.proc.pid, { rescanIntervalMs: 0 });
    const scans = dma.scans;
    for (let i = 0; i < 100; i++) expect(dma.resolve(0x2000 + i * 64, 0, 64)).toBe(-1);
    expect(dma.scans).toBe(scans);
    expect(dma.faults).toBe(100);
    expect(dma.refresh()).toBe(false); // maps unchanged: no smaps scan
    expect(dma.checks).toBe(1);
    expect(dma.scans).toBe(scans);
    using slow = new PhysicalDmaSpace(client.proc.pid, { rescanIntervalMs: 60_000 });
    expect(slow.refresh()).toBe(false); // rate-limited: not even maps is read
    expect(slow.checks).toBe(0);
    await client.send("exit");
    await client.proc.exited;
  }, 60_000);

  test("a pid that does not exist is refused", () => {
    expect(() => new PhysicalDmaSpace(2 ** 22 + 1)).toThrow(IxgbeSimError);
  });
});
