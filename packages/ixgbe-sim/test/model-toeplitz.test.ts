/* Toeplitz hash: reference and table forms against the published RSS verification vectors. */
import { describe, expect, test } from "bun:test";
import { ToeplitzTable, toeplitzHash } from "../src/model/toeplitz.ts";
import { ipv6Bytes } from "./conformance/host.ts";

const KEY = Uint8Array.from([
  0x6d, 0x5a, 0x56, 0xda, 0x25, 0x5b, 0x0e, 0xc2, 0x41, 0x67, 0x25, 0x3d, 0x43, 0xa3, 0x8f, 0xb0,
  0xd0, 0xca, 0x2b, 0xcb, 0xae, 0x7b, 0x30, 0xb4, 0x77, 0xcb, 0x2d, 0xa3, 0x80, 0x30, 0xf2, 0x0c,
  0x6a, 0x42, 0xb7, 0x3b, 0xbe, 0xac, 0x01, 0xfa,
]);
const ip4 = (a: string) => a.split(".").map(Number);
const port = (p: number) => [p >>> 8, p & 0xff];

const V4: [string, string, number, number, number, number][] = [
  ["66.9.149.187", "161.142.100.80", 2794, 1766, 0x323e8fc2, 0x51ccc178],
  ["199.92.111.2", "65.69.140.83", 14230, 4739, 0xd718262a, 0xc626b0ea],
  ["24.19.198.95", "12.22.207.184", 12898, 38024, 0xd2d0a5de, 0x5c2b394a],
  ["38.27.205.30", "209.142.163.6", 48228, 2217, 0x82989176, 0xafc7327f],
  ["153.39.163.191", "202.188.127.2", 44251, 1303, 0x5d1809c5, 0x10e828a2],
];
const V6: [string, string, number, number, number, number][] = [
  ["3ffe:2501:200:1fff::7", "3ffe:2501:200:3::1", 2794, 1766, 0x2cc18cd5, 0x40207d3d],
  ["3ffe:501:8::260:97ff:fe40:efab", "ff02::1", 14230, 4739, 0x0f0c461c, 0xdde51bbf],
  [
    "3ffe:1900:4545:3:200:f8ff:fe21:67cf",
    "fe80::200:f8ff:fe21:67cf",
    44251,
    38024,
    0x4b61e985,
    0x02d1feef,
  ],
];

describe("toeplitz", () => {
  const table = new ToeplitzTable();
  table.setKey(KEY);

  test("IPv4 and TCP/IPv4 vectors, reference and table agree", () => {
    for (const [s, d, sp, dp, h2, h4] of V4) {
      const addrs = Uint8Array.from([...ip4(s), ...ip4(d)]);
      const full = Uint8Array.from([...addrs, ...port(sp), ...port(dp)]);
      expect(toeplitzHash(KEY, addrs)).toBe(h2 >>> 0);
      expect(toeplitzHash(KEY, full)).toBe(h4 >>> 0);
      expect(table.part(full, 0, 8, 0) >>> 0).toBe(h2 >>> 0);
      expect((table.part(full, 0, 8, 0) ^ table.part(full, 8, 4, 8)) >>> 0).toBe(h4 >>> 0);
    }
  });

  test("IPv6 and TCP/IPv6 vectors", () => {
    for (const [s, d, sp, dp, h2, h4] of V6) {
      const full = Uint8Array.from([...ipv6Bytes(s), ...ipv6Bytes(d), ...port(sp), ...port(dp)]);
      expect(toeplitzHash(KEY, full.subarray(0, 32))).toBe(h2 >>> 0);
      expect(table.part(full, 0, 36, 0) >>> 0).toBe(h4 >>> 0);
    }
  });

  test("key loads from RSSRK registers in the datasheet byte order", () => {
    const bar = new Uint32Array(16);
    const regs = [
      0xda565a6d, 0xc20e5b25, 0x3d256741, 0xb08fa343, 0xcb2bcad0, 0xb4307bae, 0xa32dcb77,
      0x0cf23080, 0x3bb7426a, 0xfa01acbe,
    ];
    bar.set(regs, 3);
    const t = new ToeplitzTable();
    t.setKeyFromRegisters(bar, 3);
    expect(t.key).toEqual(KEY);
  });
});
