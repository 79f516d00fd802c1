// Toeplitz against the Microsoft RSS verification vectors, and key/table register encoding.
import { describe, expect, test } from "bun:test";
import {
  DEFAULT_RSS_KEY,
  mrqcValue,
  retaWords,
  roundRobinTable,
  rssKeyWords,
  rssQueue,
  toeplitz,
} from "../src/rss.ts";

const ip4 = (s: string) => s.split(".").map(Number);
const port = (p: number) => [p >> 8, p & 0xff];
function ip6(s: string): number[] {
  const [head, tail] = s.split("::") as [string, string | undefined];
  const h = head ? head.split(":") : [];
  const t = tail ? tail.split(":") : [];
  const groups = [...h, ...Array(8 - h.length - t.length).fill("0"), ...t];
  return groups.flatMap((g) => {
    const v = Number.parseInt(g, 16);
    return [v >> 8, v & 0xff];
  });
}

// source, source port, destination, destination port, IPv4 hash, TCP/IPv4 hash
const v4: [string, number, string, number, number, number][] = [
  ["66.9.149.187", 2794, "161.142.100.80", 1766, 0x323e8fc2, 0x51ccc178],
  ["199.92.111.2", 14230, "65.69.140.83", 4739, 0xd718262a, 0xc626b0ea],
  ["24.19.198.95", 12898, "12.22.207.184", 38024, 0xd2d0a5de, 0x5c2b394a],
  ["38.27.205.30", 48228, "209.142.163.6", 2217, 0x82989176, 0xafc7327f],
  ["153.39.163.191", 44251, "202.188.127.2", 1303, 0x5d1809c5, 0x10e828a2],
];
const v6: [string, number, string, number, number, number][] = [
  ["3ffe:2501:200:1fff::7", 2794, "3ffe:2501:200:3::1", 1766, 0x2cc18cd5, 0x40207d3d],
  ["3ffe:501:8::260:97ff:fe40:efab", 14230, "ff02::1", 4739, 0x0f0c461c, 0xdde51bbf],
  [
    "3ffe:1900:4545:3:200:f8ff:fe21:67cf",
    44251,
    "fe80::200:f8ff:fe21:67cf",
    38024,
    0x4b61e985,
    0x02d1feef,
  ],
];

describe("toeplitz", () => {
  test.each(v4)("IPv4 %s:%d -> %s:%d", (src, sp, dst, dp, ipHash, tcpHash) => {
    const addrs = [...ip4(src), ...ip4(dst)];
    expect(toeplitz(DEFAULT_RSS_KEY, Uint8Array.from(addrs))).toBe(ipHash);
    expect(toeplitz(DEFAULT_RSS_KEY, Uint8Array.from([...addrs, ...port(sp), ...port(dp)]))).toBe(
      tcpHash,
    );
  });
  test.each(v6)("IPv6 %s:%d -> %s:%d", (src, sp, dst, dp, ipHash, tcpHash) => {
    const addrs = [...ip6(src), ...ip6(dst)];
    expect(addrs.length).toBe(32);
    expect(toeplitz(DEFAULT_RSS_KEY, Uint8Array.from(addrs))).toBe(ipHash);
    expect(toeplitz(DEFAULT_RSS_KEY, Uint8Array.from([...addrs, ...port(sp), ...port(dp)]))).toBe(
      tcpHash,
    );
  });
  test("empty input hashes to 0; a single set bit selects the key's first 32 bits", () => {
    expect(toeplitz(DEFAULT_RSS_KEY, new Uint8Array(0))).toBe(0);
    expect(toeplitz(DEFAULT_RSS_KEY, Uint8Array.from([0x80]))).toBe(0x6d5a56da);
    expect(toeplitz(DEFAULT_RSS_KEY, Uint8Array.from([0x40]))).toBe(0xdab4adb4);
  });
  test("RETA entry and queue of the first TCP vector", () => {
    const table = roundRobinTable(4);
    expect(0x51ccc178 & 0x7f).toBe(120);
    expect(rssQueue(0x51ccc178, table)).toBe(0);
    expect(rssQueue(0xc626b0ea, table)).toBe(2);
    expect(rssQueue(0xafc7327f, table)).toBe(3);
  });
});

describe("register encoding", () => {
  test("RSSRK words of the default key", () => {
    expect(Array.from(rssKeyWords(DEFAULT_RSS_KEY))).toEqual([
      0xda565a6d, 0xc20e5b25, 0x3d256741, 0xb08fa343, 0xcb2bcad0, 0xb4307bae, 0xa32dcb77,
      0x0cf23080, 0x3bb7426a, 0xfa01acbe,
    ]);
  });
  test("a key that is not 40 bytes is refused", () => {
    expect(() => rssKeyWords(new Uint8Array(39))).toThrow(
      expect.objectContaining({ code: "BAD_CONFIG" }),
    );
  });
  test("RETA packs four 4-bit entries per register, entry 4n+k at bits 8k..8k+3", () => {
    const table = Array.from({ length: 128 }, (_, i) => (i * 7) % 16);
    const words = retaWords(table, 16);
    for (let i = 0; i < 128; i++) {
      expect(((words[i >> 2] as number) >>> (8 * (i & 3))) & 0xff).toBe(table[i] as number);
    }
    expect((words[30] as number) & 0xf).toBe(table[120] as number);
  });
  test("RETA entries outside the queue range or a short table are refused", () => {
    expect(() => retaWords(roundRobinTable(4), 2)).toThrow(/entry 2 = 2/);
    expect(() => retaWords([0, 1], 2)).toThrow(/128/);
  });
  test("MRQC field bits", () => {
    expect(mrqcValue(["ipv4", "ipv4-tcp", "ipv6", "ipv6-tcp"])).toBe(0x00330001);
    expect(mrqcValue(["ipv4-udp", "ipv6-udp"])).toBe(0x00c00001);
  });
});
