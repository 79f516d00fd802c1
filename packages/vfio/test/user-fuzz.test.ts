/*
 * Fuzz: thousands of random, mutated and truncated messages (some carrying fds) thrown at the
 * server in a child process. Every complete command must get a reply or a hang-up within the
 * timeout; afterwards the server must still be alive, hold no more fds than before, keep its
 * live JS heap (measured after a full GC) and its RSS flat, and serve a real client.
 */
import { expect, test } from "bun:test";
import { close, eventfd, ftruncate, constants as K, memfdCreate } from "@dataplane/sys";
import { connectVfioUser } from "../src/index.ts";
import { procFds, rssKiB, spawnServer, waitFor } from "./helpers.ts";
import { hex, RawClient, VERSION_REQUEST } from "./raw.ts";

/** xorshift32: reproducible runs; the seed is printed on failure. */
function rng(seed: number) {
  let s = seed >>> 0 || 1;
  return (n: number) => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s % n;
  };
}

const SEEDS = [
  "02000400 20000000 00000000 00000000 10000000 00000000 00000000 00000000",
  `03000500 30000000 00000000 00000000 40000000 00000000 00000000 00000000 ${"00".repeat(16)}`,
  "04000700 20000000 00000000 00000000 10000000 00000000 02000000 00000000",
  "05000800 24000000 00000000 00000000 14000000 24000000 02000000 00000000 01000000",
  "07000900 20000000 00000000 00000000 0000000000000000 00000000 04000000",
  "08000a00 24000000 00000000 00000000 2000000000000000 00000000 04000000 01000000",
  "09000200 30000000 00000000 00000000 20000000 03000000 0000000000000000 0000001000000000 0000010000000000",
  "0a000300 28000000 00000000 00000000 18000000 00000000 0000001000000000 0000010000000000",
  "0b000d00 10000000 00000000 00000000",
].map(hex);

/** One fuzz message: a mutated seed or random bytes behind a plausible header. */
function message(r: (n: number) => number, id: number): Uint8Array {
  let m: Uint8Array;
  if (r(2) === 0) {
    m = (SEEDS[r(SEEDS.length)] as Uint8Array).slice();
    for (let k = r(4); k > 0; k--) m[16 + r(Math.max(1, m.length - 16))] = r(256);
    if (r(8) === 0) m = m.slice(0, 16 + r(m.length - 15)); // shorten the payload
  } else {
    const len = r(10) === 0 ? r(70000) : r(72);
    m = new Uint8Array(16 + len);
    for (let i = 16; i < m.length; i++) m[i] = r(256);
    new DataView(m.buffer).setUint16(2, r(24), true);
  }
  const dv = new DataView(m.buffer);
  dv.setUint16(0, id, true);
  dv.setUint32(4, m.length, true); // framing stays honest here; lies are tested below
  dv.setUint32(8, r(16) === 0 ? 0x20 : 0, true); // sometimes a stray ERROR bit
  return m;
}

test("server survives random, mutated and truncated messages; fds and RSS stay flat", async () => {
  const seed = (Date.now() ^ (process.pid << 8)) >>> 0;
  const r = rng(seed);
  const server = await spawnServer();
  const memfd = memfdCreate("fuzz-mem", K.MFD_CLOEXEC);
  ftruncate(memfd, 1 << 20);
  const efd = eventfd(0);
  const settled = () => waitFor(() => false, 100);
  const run = (messages: number) => {
    let sent = 0;
    let replies = 0;
    let hangups = 0;
    while (sent < messages) {
      using raw = new RawClient(server.path);
      if (r(10) !== 0) {
        raw.send(VERSION_REQUEST);
        expect(typeof raw.recv()).toBe("object");
      }
      for (let k = 1 + r(40); k > 0 && sent < messages; k--) {
        sent++;
        const id = sent & 0xffff;
        const choice = r(20);
        if (choice === 0) {
          // Truncated: the header promises more than ever arrives; then we leave.
          const m = message(r, id);
          new DataView(m.buffer).setUint32(4, m.length + 1 + r(100), true);
          raw.send(m);
          break;
        }
        if (choice === 1) {
          // A lying msg_size (below 16 or far too big): the server hangs up.
          raw.send(hex(`0100 0400 ${r(2) ? "08000000" : "00000080"} 00000000 00000000`));
          expect(raw.recv()).toBe("eof");
          hangups++;
          break;
        }
        const fds = choice < 5 ? [memfd] : choice < 8 ? [efd, efd] : [];
        if (!raw.send(message(r, id), fds)) {
          hangups++;
          break;
        }
        const reply = raw.recv(3000);
        if (reply === "timeout") throw new Error(`server hung (seed ${seed}, message ${sent})`);
        if (reply === "eof") {
          hangups++;
          break;
        }
        const dv = new DataView(reply.bytes.buffer);
        expect(dv.getUint16(0, true)).toBe(id);
        expect(dv.getUint32(8, true) & 0xf).toBe(1);
        replies++;
      }
    }
    return { replies, hangups };
  };

  try {
    run(500); // warm up: JIT, buffers, the runtime's own lazily opened fds
    await settled();
    const fds0 = procFds(server.pid).length;
    const rss0 = rssKiB(server.pid);
    const heap0 = await server.heapBytes();
    const a = run(2000);
    await settled();
    const heap1 = await server.heapBytes();
    const b = run(2000);
    const replies = a.replies + b.replies;
    const hangups = a.hangups + b.hangups;
    expect(replies).toBeGreaterThan(2000);
    expect(hangups).toBeGreaterThan(0);
    await settled();
    expect(server.proc.exitCode).toBeNull();
    expect(await waitFor(() => procFds(server.pid).length === fds0)).toBe(true);
    const heap2 = await server.heapBytes();
    const rss2 = rssKiB(server.pid);
    const kib = (n: number) => `${Math.round(n / 1024)}`;
    console.log(
      `fuzz seed ${seed}: ${replies} replies, ${hangups} hang-ups, live heap after GC ` +
        `${kib(heap0)} -> ${kib(heap1)} -> ${kib(heap2)} KiB, RSS ${rss0} -> ${rss2} KiB`,
    );
    // Flat: after a full GC the live heap does not grow with the number of messages. 2000
    // messages per batch, so a leak of 128 bytes per message would show as 250 KiB a batch.
    expect(heap2 - heap1).toBeLessThan(256 * 1024);
    expect(heap2 - heap0).toBeLessThan(512 * 1024);
    // Native memory (mappings of fds the fuzz sent, buffers) is not in the JS heap: RSS must
    // not run away either (allocator caches make it noisier, hence the looser bound).
    expect(rss2 - rss0).toBeLessThan(32 * 1024);
    using dev = connectVfioUser(server.path);
    expect(dev.readConfig(0, 2)).toBe(0x8086);
  } finally {
    close(memfd);
    close(efd);
    await server.stop();
  }
}, 60_000);
