/*
 * Byte-exact fixtures for every vfio-user message we send or answer, written by hand from the
 * protocol layouts (header: id u16, cmd u16, size u32, flags u32, errno u32; then the payload).
 * Each is decoded, checked field by field, and re-encoded to the same bytes. The commands a
 * server may send (DMA_READ, DMA_WRITE) are played by a scripted server, and the client's
 * answer is compared byte for byte.
 */
import { expect, test } from "bun:test";
import { rmSync } from "node:fs";
import { connectVfioUser, type VfioError } from "../src/index.ts";
import * as PL from "../src/user/payloads.ts";
import { encodeMessage, readHeader } from "../src/user/protocol.ts";
import * as RI from "../src/user/region-info.ts";

const P = { ...PL, ...RI };

const hex = (s: string) => Uint8Array.from(Buffer.from(s.replace(/\s+/g, ""), "hex"));
const ascii = (s: string) => Buffer.from(s, "utf8").toString("hex");

interface Fixture {
  name: string;
  bytes: string;
  decode: (p: Uint8Array) => unknown;
  encode: (v: never) => Uint8Array;
  fields: unknown;
}

const REQ_JSON = '{"capabilities":{"max_msg_fds":8,"max_data_xfer_size":1048576}}';
const REPLY_JSON =
  '{ "capabilities": { "max_msg_fds": 8, "max_data_xfer_size": 1048576, "migration": { "pgsize": 4096 } } }';
const empty = { decode: (p: Uint8Array) => p.length, encode: () => new Uint8Array(0), fields: 0 };

const fixtures: Fixture[] = [
  {
    name: "VERSION 0.2 request with capabilities",
    bytes: `01000100 54000000 00000000 00000000  0000 0200 ${ascii(REQ_JSON)}00`,
    decode: P.decodeVersion,
    encode: P.encodeVersion,
    fields: { major: 0, minor: 2, json: REQ_JSON },
  },
  {
    name: "VERSION reply as libvfio-user sends it (125 bytes)",
    bytes: `01000100 7d000000 01000000 00000000  0000 0200 ${ascii(REPLY_JSON)}00`,
    decode: P.decodeVersion,
    encode: P.encodeVersion,
    fields: { major: 0, minor: 2, json: REPLY_JSON },
  },
  {
    name: "DEVICE_GET_INFO request",
    bytes: "02000400 20000000 00000000 00000000  10000000 00000000 00000000 00000000",
    decode: P.decodeDeviceInfo,
    encode: P.encodeDeviceInfo,
    fields: { argsz: 16, flags: 0, numRegions: 0, numIrqs: 0 },
  },
  {
    name: "DEVICE_GET_INFO reply: PCI|RESET, 9 regions, 5 IRQ indexes",
    bytes: "02000400 20000000 01000000 00000000  10000000 03000000 09000000 05000000",
    decode: P.decodeDeviceInfo,
    encode: P.encodeDeviceInfo,
    fields: { argsz: 16, flags: 3, numRegions: 9, numIrqs: 5 },
  },
  {
    name: "DEVICE_GET_REGION_INFO request, config region, argsz 32",
    bytes:
      "03000500 30000000 00000000 00000000  20000000 00000000 07000000 00000000 " +
      "0000000000000000 0000000000000000",
    decode: P.decodeRegionInfo,
    encode: P.encodeRegionInfo,
    fields: { argsz: 32, flags: 0, index: 7, capOffset: 0, size: 0, offset: 0, areas: null },
  },
  {
    name: "DEVICE_GET_REGION_INFO reply, BAR0 16 KiB with one sparse area",
    bytes:
      "03000500 50000000 01000000 00000000  40000000 0f000000 00000000 20000000 " +
      "0040000000000000 0000000000000000 " +
      "0100 0100 00000000 01000000 00000000  0020000000000000 0020000000000000",
    decode: P.decodeRegionInfo,
    encode: P.encodeRegionInfo,
    fields: {
      argsz: 64,
      flags: 0xf,
      index: 0,
      capOffset: 32,
      size: 0x4000,
      offset: 0,
      areas: [{ offset: 0x2000, size: 0x2000 }],
    },
  },
  {
    name: "DEVICE_GET_IRQ_INFO request, MSI-X",
    bytes: "04000700 20000000 00000000 00000000  10000000 00000000 02000000 00000000",
    decode: P.decodeIrqInfo,
    encode: P.encodeIrqInfo,
    fields: { argsz: 16, flags: 0, index: 2, count: 0 },
  },
  {
    name: "DEVICE_GET_IRQ_INFO reply, 4 vectors, EVENTFD",
    bytes: "04000700 20000000 01000000 00000000  10000000 01000000 02000000 04000000",
    decode: P.decodeIrqInfo,
    encode: P.encodeIrqInfo,
    fields: { argsz: 16, flags: 1, index: 2, count: 4 },
  },
  {
    name: "DEVICE_SET_IRQS: MSI-X, 4 eventfds, TRIGGER",
    bytes: "05000800 24000000 00000000 00000000  14000000 24000000 02000000 00000000 04000000",
    decode: P.decodeIrqSet,
    encode: P.encodeIrqSet,
    fields: { argsz: 20, flags: 0x24, index: 2, start: 0, count: 4, data: new Uint8Array(0) },
  },
  {
    name: "DEVICE_SET_IRQS: MSI-X disable all",
    bytes: "06000800 24000000 00000000 00000000  14000000 21000000 02000000 00000000 00000000",
    decode: P.decodeIrqSet,
    encode: P.encodeIrqSet,
    fields: { argsz: 20, flags: 0x21, index: 2, start: 0, count: 0, data: new Uint8Array(0) },
  },
  {
    name: "REGION_READ request, config offset 0, 4 bytes",
    bytes: "07000900 20000000 00000000 00000000  0000000000000000 07000000 04000000",
    decode: P.decodeRegionAccess,
    encode: P.encodeRegionAccess,
    fields: { offset: 0, region: 7, count: 4, data: new Uint8Array(0) },
  },
  {
    name: "REGION_READ reply with the data",
    bytes: "07000900 24000000 01000000 00000000  0000000000000000 07000000 04000000 8680fb10",
    decode: P.decodeRegionAccess,
    encode: P.encodeRegionAccess,
    fields: { offset: 0, region: 7, count: 4, data: new Uint8Array([0x86, 0x80, 0xfb, 0x10]) },
  },
  {
    name: "REGION_WRITE request, BAR0 offset 0x10, 0x12345678",
    bytes: "08000a00 24000000 00000000 00000000  1000000000000000 00000000 04000000 78563412",
    decode: P.decodeRegionAccess,
    encode: P.encodeRegionAccess,
    fields: { offset: 0x10, region: 0, count: 4, data: new Uint8Array([0x78, 0x56, 0x34, 0x12]) },
  },
  {
    name: "REGION_WRITE reply echoes the access header",
    bytes: "08000a00 20000000 01000000 00000000  1000000000000000 00000000 04000000",
    decode: P.decodeRegionAccess,
    encode: P.encodeRegionAccess,
    fields: { offset: 0x10, region: 0, count: 4, data: new Uint8Array(0) },
  },
  {
    name: "DMA_MAP R|W, fd offset 0, IOVA 0x40000000, 2 MiB",
    bytes:
      "09000200 30000000 00000000 00000000  20000000 03000000 0000000000000000 " +
      "0000004000000000 0000200000000000",
    decode: P.decodeDmaMap,
    encode: P.encodeDmaMap,
    fields: { argsz: 32, flags: 3, offset: 0, address: 0x40000000, size: 0x200000 },
  },
  {
    name: "DMA_MAP with a 64-bit IOVA (0x7f12_3456_0000) and fd offset 4 GiB",
    bytes:
      "0c000200 30000000 00000000 00000000  20000000 03000000 0000000001000000 " +
      "00005634127f0000 0000200000000000",
    decode: P.decodeDmaMap,
    encode: P.encodeDmaMap,
    fields: { argsz: 32, flags: 3, offset: 2 ** 32, address: 0x7f1234560000, size: 0x200000 },
  },
  { name: "DMA_MAP reply (empty)", bytes: "09000200 10000000 01000000 00000000", ...empty },
  {
    name: "DMA_UNMAP request (and its echoed reply payload)",
    bytes:
      "0a000300 28000000 00000000 00000000  18000000 00000000 0000004000000000 0000200000000000",
    decode: P.decodeDmaUnmap,
    encode: P.encodeDmaUnmap,
    fields: { argsz: 24, flags: 0, address: 0x40000000, size: 0x200000 },
  },
  {
    name: "DMA_UNMAP reply",
    bytes:
      "0a000300 28000000 01000000 00000000  18000000 00000000 0000004000000000 0000200000000000",
    decode: P.decodeDmaUnmap,
    encode: P.encodeDmaUnmap,
    fields: { argsz: 24, flags: 0, address: 0x40000000, size: 0x200000 },
  },
  { name: "DEVICE_RESET request", bytes: "0b000d00 10000000 00000000 00000000", ...empty },
  { name: "DEVICE_RESET reply", bytes: "0b000d00 10000000 01000000 00000000", ...empty },
  { name: "error reply EINVAL to id 7", bytes: "07000900 10000000 21000000 16000000", ...empty },
];

for (const f of fixtures) {
  test(`fixture: ${f.name}`, () => {
    const bytes = hex(f.bytes);
    const h = readHeader(new DataView(bytes.buffer));
    expect(h.size).toBe(bytes.length);
    const value = f.decode(bytes.subarray(16));
    expect(value).toEqual(f.fields);
    const again = encodeMessage(h.id, h.cmd, h.flags, f.encode(value as never), h.errno);
    expect(Buffer.from(again).toString("hex")).toBe(Buffer.from(bytes).toString("hex"));
  });
}

test("header fields decode as laid out", () => {
  const h = readHeader(new DataView(hex("07000900 10000000 21000000 16000000").buffer));
  expect(h).toEqual({ id: 7, cmd: 9, size: 16, flags: 0x21, errno: 22 });
});

test("decoders reject malformed payloads", () => {
  expect(() => P.decodeVersion(hex("0000 0200 7b7d"))).toThrow(/NUL/); // "{}" without NUL
  expect(() => P.decodeDeviceInfo(hex("10000000 03000000"))).toThrow(/16 bytes/);
  const base = "40000000 0f000000 00000000 20000000 0040000000000000 0000000000000000";
  // sparse cap claiming 2 areas with room for 1
  expect(() =>
    P.decodeRegionInfo(hex(`${base} 0100 0100 00000000 02000000 00000000 ${"00".repeat(16)}`)),
  ).toThrow(/claims 2 areas/);
  // a cap whose next points back at itself
  expect(() => P.decodeRegionInfo(hex(`${base} 0200 0100 20000000 00000000 00000000`))).toThrow(
    /forward/,
  );
  // cap_offset outside the payload
  const outside = "40000000 0f000000 00000000 00010000 0040000000000000 0000000000000000";
  expect(() => P.decodeRegionInfo(hex(outside))).toThrow(/outside/);
  // a u64 beyond 2^53 in the region size
  const huge = "20000000 03000000 00000000 00000000 00000000000000ff 0000000000000000";
  expect(() => P.decodeRegionInfo(hex(huge))).toThrow(/2\^53/);
  expect(
    Number.isNaN(
      P.decodeDmaMap(hex(`20000000 03000000 ${"00".repeat(8)} 00000000000000ff ${"00".repeat(8)}`))
        .address,
    ),
  ).toBe(true);
});

test("commands from the server (DMA_READ, DMA_WRITE) are refused with ENOTSUP, byte for byte", async () => {
  const path = `/tmp/dataplane-vfio-scripted-${process.pid}.sock`;
  const child = Bun.spawn(
    [process.execPath, `${import.meta.dir}/fixtures/scripted-server.ts`, path],
    { stdout: "pipe", stderr: "pipe" },
  );
  try {
    const reader = child.stdout.getReader();
    let text = "";
    while (!text.includes("ready")) {
      const { value, done } = await reader.read();
      if (done) throw new Error(`scripted server died: ${await new Response(child.stderr).text()}`);
      text += new TextDecoder().decode(value);
    }
    // The script hangs up after the first REGION_INFO request: the open fails, as it should.
    let code = "";
    try {
      connectVfioUser(path, { timeoutMs: 3000 }).close();
    } catch (e) {
      code = (e as VfioError).code;
    }
    expect(code).toBe("DISCONNECTED");
    while (!text.includes("}")) {
      const { value, done } = await reader.read();
      if (done) break;
      text += new TextDecoder().decode(value);
    }
    const seen = JSON.parse(text.slice(text.indexOf("{")));
    expect(seen.getInfoCmd).toBe(4);
    // Error reply to id 0x1234, cmd DMA_READ (11): size 16, flags REPLY|ERROR, errno ENOTSUP (95).
    expect(seen.refusal).toBe(
      Buffer.from(hex("3412 0b00 10000000 21000000 5f000000")).toString("hex"),
    );
    // Nothing answered the NO_REPLY DMA_WRITE: the next message is the REGION_INFO request.
    expect(seen.nextCmd).toBe(5);
  } finally {
    child.kill();
    await child.exited;
    rmSync(path, { force: true });
  }
});
