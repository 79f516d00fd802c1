/*
 * tap: a TAP device moved into a fresh network namespace. The kernel there pings 198.18.7.2;
 * this test answers ARP and ICMP echo through the wire, so `ping -c 3` succeeds only if pull()
 * and push() really carry frames. Namespace and device are removed on every path.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { existsSync } from "node:fs";
import { geteuid } from "@dataplane/sys";
import { IxgbeSimError } from "../src/errors.ts";
import type { Wire } from "../src/wire/wire.ts";
import { WireSet } from "../src/wire/wire-set.ts";

const NS = `dpwire${process.pid}`;
const IF = `dpt${process.pid % 1000000}`;
const PEER_MAC = [0x02, 0, 0, 0, 0x07, 0x02];
const PEER_IP = [198, 18, 7, 2];

function missing(): string | null {
  if (geteuid() !== 0) return "needs root";
  if (!existsSync("/dev/net/tun")) return "needs /dev/net/tun";
  if (Bun.which("ip") === null) return "needs ip (iproute2)";
  if (Bun.which("ping") === null) return "needs ping (apt-get install iputils-ping)";
  return null;
}
const why = missing();
if (why !== null && process.env.CI === "true") throw new Error(`TAP test cannot run in CI: ${why}`);

function sh(...args: string[]): void {
  const r = Bun.spawnSync(args, { stderr: "pipe" });
  if (r.exitCode !== 0) throw new Error(`${args.join(" ")}: ${r.stderr.toString()}`);
}

afterAll(() => {
  Bun.spawnSync(["ip", "netns", "del", NS], { stderr: "ignore" });
});

function checksum(f: Uint8Array, from: number, to: number): number {
  let sum = 0;
  for (let i = from; i < to; i += 2)
    sum += ((f[i] as number) << 8) | (i + 1 < to ? (f[i + 1] as number) : 0);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

/** Answers one frame if it is an ARP request or ICMP echo request for PEER_IP; returns its kind. */
function answer(w: Wire, f: Uint8Array, len: number): "arp" | "echo" | "other" {
  const dv = new DataView(f.buffer, f.byteOffset);
  const type = dv.getUint16(12);
  const out = new Uint8Array(len);
  const odv = new DataView(out.buffer);
  if (type === 0x0806 && dv.getUint16(20) === 1 && PEER_IP.every((b, i) => f[38 + i] === b)) {
    out.set(f.subarray(6, 12), 0); // to the asker
    out.set(PEER_MAC, 6);
    odv.setUint16(12, 0x0806);
    out.set(f.subarray(14, 20), 14); // htype, ptype, hlen, plen
    odv.setUint16(20, 2); // reply
    out.set(PEER_MAC, 22);
    out.set(PEER_IP, 28);
    out.set(f.subarray(22, 32), 32); // target = the asker's MAC and IP
    w.push(out, 0, 42);
    return "arp";
  }
  if (type === 0x0800 && f[23] === 1 && f[34] === 8 && PEER_IP.every((b, i) => f[30 + i] === b)) {
    out.set(f.subarray(0, len));
    out.set(f.subarray(6, 12), 0);
    out.set(PEER_MAC, 6);
    out.set(f.subarray(30, 34), 26); // swap IPs: the header checksum does not change
    out.set(f.subarray(26, 30), 30);
    out[34] = 0; // echo reply
    odv.setUint16(36, 0);
    odv.setUint16(36, checksum(out, 34, len));
    w.push(out, 0, len);
    return "echo";
  }
  return "other";
}

describe.skipIf(why !== null)(`tap (${why ?? "root"})`, () => {
  test("ping -c 3 from a namespace through the TAP wire succeeds", async () => {
    const set = new WireSet();
    try {
      const w = set.open("p0", `tap:${IF}`);
      sh("ip", "netns", "add", NS);
      sh("ip", "link", "set", IF, "netns", NS);
      sh("ip", "-n", NS, "addr", "add", "198.18.7.1/24", "dev", IF);
      sh("ip", "-n", NS, "link", "set", IF, "up");
      const ping = Bun.spawn(
        ["ip", "netns", "exec", NS, "ping", "-c", "3", "-i", "0.2", "-W", "2", "198.18.7.2"],
        {
          stdout: "pipe",
          stderr: "pipe",
        },
      );
      const seen = { arp: 0, echo: 0, other: 0 };
      const host = new Uint8Array(4096);
      let exited = false;
      void ping.exited.then(() => {
        exited = true;
      });
      while (!exited) {
        const n = w.pull(host, 100, 2048);
        if (n > 0) seen[answer(w, host.subarray(100), n)]++;
        else await Bun.sleep(1);
      }
      const out = await new Response(ping.stdout).text();
      expect(ping.exitCode, out).toBe(0);
      expect(out).toContain("3 received");
      expect(seen.arp).toBeGreaterThanOrEqual(1);
      expect(seen.echo).toBe(3);
      expect(w.stats()).toMatchObject({ ifname: IF, txFrames: seen.arp + seen.echo, rxErrors: 0 });

      // A frame longer than the host buffer: the first 200 bytes land, the full length is told.
      const big = Bun.spawn([
        "ip",
        "netns",
        "exec",
        NS,
        "ping",
        "-c",
        "1",
        "-s",
        "1200",
        "-W",
        "1",
        "198.18.7.2",
      ]);
      let len = 0;
      for (let i = 0; i < 1000 && len === 0; i++) {
        len = w.pull(host, 0, 200);
        if (len > 0 && host[23] !== 1) len = 0; // not the echo request
        if (len === 0) await Bun.sleep(1);
      }
      await big.exited;
      expect(len).toBe(14 + 20 + 8 + 1200);
      expect(w.stats().rxTruncated).toBe(1);
    } finally {
      set.close();
      Bun.spawnSync(["ip", "netns", "del", NS], { stderr: "ignore" });
    }
    expect(Bun.spawnSync(["ip", "netns", "list"]).stdout.toString()).not.toContain(NS);
    expect(Bun.spawnSync(["ip", "link", "show", IF], { stderr: "ignore" }).exitCode).not.toBe(0);
  }, 60_000);

  test("a name taken by a non-TAP device fails with TAP_FAILED", () => {
    try {
      new WireSet().open("p0", "tap:lo");
      throw new Error("tap:lo was accepted");
    } catch (e) {
      expect(e).toBeInstanceOf(IxgbeSimError);
      expect((e as IxgbeSimError).code).toBe("TAP_FAILED");
      expect((e as IxgbeSimError).message).toContain('"lo"');
    }
  });

  test("close removes the device and is idempotent", () => {
    const set = new WireSet();
    set.open("p0", `tap:${IF}x`);
    expect(Bun.spawnSync(["ip", "link", "show", `${IF}x`]).exitCode).toBe(0);
    set.close();
    set.close();
    expect(Bun.spawnSync(["ip", "link", "show", `${IF}x`], { stderr: "ignore" }).exitCode).not.toBe(
      0,
    );
  });
});
