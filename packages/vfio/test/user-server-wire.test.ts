/*
 * The server on the wire, driven by raw bytes: its replies must match the hand-written
 * fixtures byte for byte, and protocol violations must get the documented answer.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { close, eventfd, ftruncate, constants as K, memfdCreate } from "@dataplane/sys";
import { procFds, type ServerChild, spawnServer, waitFor } from "./helpers.ts";
import { hex, RawClient, toHex, VERSION_REQUEST } from "./raw.ts";

let server: ServerChild;
beforeAll(async () => {
  server = await spawnServer();
});
afterAll(async () => {
  await server.stop();
});

function handshake(): RawClient {
  const raw = new RawClient(server.path);
  raw.send(VERSION_REQUEST);
  const r = raw.recv();
  if (typeof r === "string") throw new Error(`no VERSION reply: ${r}`);
  return raw;
}

function ask(raw: RawClient, bytes: string, fds: number[] = []): string {
  raw.send(hex(bytes), fds);
  const r = raw.recv();
  return typeof r === "string" ? r : toHex(r.bytes);
}

test("VERSION reply: 0.2 with our capabilities, NUL-terminated JSON", () => {
  using raw = new RawClient(server.path);
  raw.send(VERSION_REQUEST);
  const r = raw.recv();
  if (typeof r === "string") throw new Error(r);
  const dv = new DataView(r.bytes.buffer);
  expect([dv.getUint16(0, true), dv.getUint16(2, true), dv.getUint32(8, true)]).toEqual([1, 1, 1]);
  expect([dv.getUint16(16, true), dv.getUint16(18, true)]).toEqual([0, 2]);
  expect(r.bytes[r.bytes.length - 1]).toBe(0);
  const json = JSON.parse(Buffer.from(r.bytes.subarray(20, r.bytes.length - 1)).toString());
  expect(json.capabilities).toMatchObject({ max_msg_fds: 8, max_data_xfer_size: 1048576 });
});

test("replies match the fixtures byte for byte", () => {
  using raw = handshake();
  expect(ask(raw, "02000400 20000000 00000000 00000000 10000000 00000000 00000000 00000000")).toBe(
    "0200040020000000010000000000000010000000030000000900000005000000",
  );
  expect(ask(raw, "04000700 20000000 00000000 00000000 10000000 00000000 02000000 00000000")).toBe(
    "0400070020000000010000000000000010000000010000000200000004000000",
  );
  expect(ask(raw, "07000900 20000000 00000000 00000000 0000000000000000 07000000 04000000")).toBe(
    "0700090024000000010000000000000000000000000000000700000004000000" + "8680fb10",
  );
  expect(
    ask(raw, "08000a00 24000000 00000000 00000000 0400000000000000 00000000 04000000 78563412"),
  ).toBe("08000a002000000001000000000000000400000000000000" + "0000000004000000");
  expect(ask(raw, "0b000d00 10000000 00000000 00000000")).toBe("0b000d00100000000100000000000000");
  // Region 0xdeadbeef: the error reply libvfio-user gives (EINVAL).
  expect(ask(raw, "07000900 20000000 00000000 00000000 0000000000000000 efbeadde 04000000")).toBe(
    "07000900100000002100000016000000",
  );
});

test("region info: short argsz gets the needed size and no fd; the retry gets cap + fd", () => {
  using raw = handshake();
  const req = (argsz: string) =>
    hex(
      `03000500 30000000 00000000 00000000 ${argsz} 00000000 00000000 00000000 ${"00".repeat(16)}`,
    );
  raw.send(req("20000000"));
  const a = raw.recv();
  if (typeof a === "string") throw new Error(a);
  expect(a.fds).toBe(0);
  expect(toHex(a.bytes.subarray(16, 24))).toBe("4000000007000000"); // argsz 64, R|W|MMAP
  raw.send(req("40000000"));
  const b = raw.recv();
  if (typeof b === "string") throw new Error(b);
  expect(b.fds).toBe(1);
  expect(toHex(b.bytes.subarray(16))).toBe(
    "400000000f000000000000002000000000400000000000000000000000000000" +
      "01000100000000000100000000000000" +
      "00200000000000000020000000000000",
  );
});

test("errors: unknown command, bad sizes, fds where none belong; NO_REPLY is honoured", () => {
  using raw = handshake();
  expect(ask(raw, "09006300 10000000 00000000 00000000")).toBe("09006300100000002100000016000000");
  // GET_INFO with a 4-byte payload
  expect(ask(raw, "0a000400 14000000 00000000 00000000 10000000")).toBe(
    "0a000400100000002100000016000000",
  );
  // REGION_WRITE whose count disagrees with its data
  expect(
    ask(raw, "0b000a00 24000000 00000000 00000000 0000000000000000 00000000 08000000 00000000"),
  ).toBe("0b000a00100000002100000016000000");
  const efd = eventfd(0);
  // GET_INFO with an fd attached: refused, and the fd is closed by the server
  expect(
    ask(raw, "0c000400 20000000 00000000 00000000 10000000 00000000 00000000 00000000", [efd]),
  ).toBe("0c000400100000002100000016000000");
  // SET_IRQS with 2 eventfds for count 1
  expect(
    ask(raw, "0d000800 24000000 00000000 00000000 14000000 24000000 02000000 00000000 01000000", [
      efd,
      efd,
    ]),
  ).toBe("0d000800100000002100000016000000");
  // SET_IRQS with a memfd instead of an eventfd
  const mfd = memfdCreate("not-an-eventfd", K.MFD_CLOEXEC);
  expect(
    ask(raw, "0e000800 24000000 00000000 00000000 14000000 24000000 02000000 00000000 01000000", [
      mfd,
    ]),
  ).toBe("0e000800100000002100000016000000");
  close(mfd);
  close(efd);
  // RESET with NO_REPLY (flags 0x10), then GET_INFO: the first reply is GET_INFO's
  raw.send(hex("0f000d00 10000000 10000000 00000000"));
  expect(
    ask(raw, "10000400 20000000 00000000 00000000 10000000 00000000 00000000 00000000").slice(0, 8),
  ).toBe("10000400");
  expect(
    procFds(server.pid).filter((t) => t.includes("eventfd") || t.includes("not-an-eventfd")).length,
  ).toBeLessThanOrEqual(1);
});

test("DMA_MAP: overlap is EEXIST, misaligned or fd-less maps are EINVAL", () => {
  // 64 KiB of memfd mapped at IOVA 0x10_0000_0000, then an overlapping, a misaligned and an
  // fd-less map; ids are the first byte.
  using raw = handshake();
  const mfd = memfdCreate("vfio-wire-dma", K.MFD_CLOEXEC | K.MFD_ALLOW_SEALING);
  ftruncate(mfd, 0x10000);
  const map = (id: string, iova: string, size: string) =>
    `${id}000200 30000000 00000000 00000000 20000000 03000000 0000000000000000 ${iova} ${size}`;
  expect(ask(raw, map("01", "0000001000000000", "0000010000000000"), [mfd])).toBe(
    "01000200100000000100000000000000",
  );
  expect(ask(raw, map("02", "0080001000000000", "0000010000000000"), [mfd])).toBe(
    "02000200100000002100000011000000",
  );
  expect(ask(raw, map("03", "0000002000000000", "0110000000000000"), [mfd])).toBe(
    "03000200100000002100000016000000",
  );
  expect(ask(raw, map("04", "0000003000000000", "0000010000000000"))).toBe(
    "04000200100000002100000016000000",
  );
  // unmap something that was never mapped
  expect(
    ask(
      raw,
      "05000300 28000000 00000000 00000000 18000000 00000000 0000005000000000 0000010000000000",
    ),
  ).toBe("05000300100000002100000016000000");
  close(mfd);
});

test("handshake rules: VERSION first, no fds with VERSION; the connection is then closed", async () => {
  {
    using raw = new RawClient(server.path);
    expect(
      ask(raw, "02000400 20000000 00000000 00000000 10000000 00000000 00000000 00000000"),
    ).toBe("02000400100000002100000016000000");
    expect(raw.recv(1000)).toBe("eof");
  }
  {
    using raw = new RawClient(server.path);
    const efd = eventfd(0);
    raw.send(VERSION_REQUEST, [efd]);
    close(efd);
    const r = raw.recv();
    expect(typeof r === "string" ? r : toHex(r.bytes)).toBe("01000100100000002100000016000000");
    expect(raw.recv(1000)).toBe("eof");
  }
  {
    using raw = new RawClient(server.path);
    raw.send(hex("01000100 ffffff7f 00000000 00000000")); // msg_size 2 GiB: hang up
    expect(raw.recv(1000)).toBe("eof");
  }
  expect(
    await waitFor(() => procFds(server.pid).filter((t) => t.includes("eventfd")).length <= 1),
  ).toBe(true);
});
