/* pcap: record what a port sends, read it back (ours and tcpdump), replay it, reject bad files. */
import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { IxgbeSimError } from "../src/errors.ts";
import { indexPcap, PCAP_MAGIC_NS, pcapFrames, readPcapFile } from "../src/wire/pcap-format.ts";
import type { Wire } from "../src/wire/wire.ts";
import { WireSet } from "../src/wire/wire-set.ts";

const dir = mkdtempSync(join(tmpdir(), "wire-pcap-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Pulls every frame of `gen` and pushes it into `to`; returns copies of the frames. */
function pump(gen: Wire, to: Wire): Uint8Array[] {
  const host = new Uint8Array(16384);
  const sent: Uint8Array[] = [];
  for (let n = gen.pull(host, 8, 9000); n > 0; n = gen.pull(host, 8, 9000)) {
    to.push(host, 8, n);
    sent.push(host.slice(8, 8 + n));
  }
  return sent;
}

const tcpdump = Bun.which("tcpdump");

describe("pcap", () => {
  test("recorded frames read back identically, with nanosecond timestamps", () => {
    const file = join(dir, "rec.pcap");
    using set = new WireSet();
    const rec = set.open("p0", `pcap:${file}`);
    const sent = pump(set.open("g", "gen:count=800,size=1500,flows=4"), rec); // > 1 MiB: flushes mid-run
    const before = Date.now() * 1e6;
    rec.tick(0);
    const index = readPcapFile(file);
    expect(index.nanos).toBe(true);
    expect(new DataView(index.bytes.buffer, index.bytes.byteOffset).getUint32(0, true)).toBe(
      PCAP_MAGIC_NS,
    );
    expect(index.count).toBe(800);
    expect(pcapFrames(index)).toEqual(sent);
    expect(index.timeNs[0] as number).toBeLessThanOrEqual(before + 1e6);
    expect(index.timeNs[0] as number).toBeGreaterThan(before - 60e9);
    expect(rec.stats()).toMatchObject({ frames: 800, bytes: 800 * 1500, writeErrors: 0 });
  });

  test("tcpdump reads what we write", () => {
    if (tcpdump === null) {
      if (process.env.CI === "true")
        throw new Error("tcpdump is missing; CI must install it (apt-get install tcpdump)");
      console.warn("skipped: tcpdump not installed");
      return;
    }
    const file = join(dir, "dump.pcap");
    const set = new WireSet();
    pump(set.open("g", "gen:count=5,flows=5,size=100"), set.open("p0", `pcap:${file}`));
    set.close();
    const r = Bun.spawnSync([tcpdump, "-nn", "-r", file], { stderr: "pipe" });
    expect(r.exitCode).toBe(0);
    const lines = r.stdout.toString().trim().split("\n");
    expect(lines).toHaveLength(5);
    expect(lines[0]).toMatch(/IP 198\.18\.0\.0\.1024 > 198\.19\.0\.0\.4000: UDP, length 58/);
  });

  test("replay produces the file's frames, once or looping, and a sink validates them", () => {
    const file = join(dir, "replay.pcap");
    const set = new WireSet();
    const sent = pump(set.open("g", "gen:count=50,flows=2"), set.open("p0", `pcap:${file}`));
    set.close();
    using replay = new WireSet();
    const once = replay.open("r1", `pcap-in:${file}+sink:latency=0`);
    const host = new Uint8Array(2048);
    for (let i = 0; i < 50; i++) {
      expect(once.pull(host, 0, 2048)).toBe(60);
      expect(Array.from(host.subarray(0, 60))).toEqual(Array.from(sent[i] as Uint8Array));
      once.push(host, 0, 60);
    }
    expect(once.pull(host, 0, 2048)).toBe(0);
    expect((once.stats().tx as Record<string, unknown>).verdict).toBe("pass");
    const loop = replay.open("r2", `pcap-in:${file},loop`);
    let n = 0;
    while (n < 120 && loop.pull(host, 0, 2048) > 0) n++;
    expect(n).toBe(120);
    expect(loop.stats()).toMatchObject({ replayed: 120, passes: 2 });
  });

  test("bad files are rejected with what and where", () => {
    const code = (bytes: Uint8Array) => {
      try {
        indexPcap(bytes, "x.pcap");
      } catch (e) {
        expect(e).toBeInstanceOf(IxgbeSimError);
        return (e as IxgbeSimError).message;
      }
      return "accepted";
    };
    const header = (magic: number, link: number) => {
      const b = new Uint8Array(24);
      const dv = new DataView(b.buffer);
      dv.setUint32(0, magic, true);
      dv.setUint16(4, 2, true);
      dv.setUint16(6, 4, true);
      dv.setUint32(16, 65535, true);
      dv.setUint32(20, link, true);
      return b;
    };
    expect(code(new Uint8Array(10))).toContain("only 10 bytes");
    expect(code(header(0x0a0d0d0a, 1))).toContain("magic 0xa0d0d0a");
    expect(code(header(0xa1b2c3d4, 105))).toContain("link type 105");
    const cut = new Uint8Array(24 + 16 + 10);
    cut.set(header(0xa1b2c3d4, 1));
    new DataView(cut.buffer).setUint32(24 + 8, 60, true);
    expect(code(cut)).toContain("record 0 at byte 24: captured length 60 runs past the end");
    expect(code(cut.subarray(0, 30))).toContain("header cut short");
    // Big-endian microsecond files are read too.
    const be = new Uint8Array(24 + 16 + 4);
    const dv = new DataView(be.buffer);
    dv.setUint32(0, 0xa1b2c3d4, false);
    dv.setUint32(20, 1, false);
    dv.setUint32(24, 10, false);
    dv.setUint32(28, 5, false);
    dv.setUint32(32, 4, false);
    dv.setUint32(36, 4, false);
    const index = indexPcap(be, "be.pcap");
    expect([index.count, index.length[0], index.timeNs[0], index.nanos]).toEqual([
      1,
      4,
      10e9 + 5000,
      false,
    ]);
    const missing = join(dir, "missing.pcap");
    expect(() => new WireSet().open("p", `pcap-in:${missing}`)).toThrow(/cannot read pcap file/);
    writeFileSync(join(dir, "empty.pcap"), header(0xa1b23c4d, 1));
    expect(readPcapFile(join(dir, "empty.pcap")).count).toBe(0);
  });
});
