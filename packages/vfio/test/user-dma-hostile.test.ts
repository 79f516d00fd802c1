/*
 * A hostile or careless client's DMA_MAP against a server in a child process: windows past the
 * end of their file, files that could shrink under the mapping, read-only windows the device
 * would write, windows far beyond 4 GiB. The server must refuse or contain each (never SIGBUS),
 * give back every byte of address space it mapped, and serve the next client.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import {
  close,
  eventfd,
  ftruncate,
  constants as K,
  memfdCreate,
  mmap,
  munmap,
  viewOf,
} from "@dataplane/sys";
import { connectVfioUser } from "../src/index.ts";
import { encodeDmaMap, encodeDmaUnmap, encodeRegionAccess } from "../src/user/payloads.ts";
import { Cmd, encodeMessage } from "../src/user/protocol.ts";
import { REG } from "./fixtures/test-device.ts";
import { type ServerChild, spawnServer } from "./helpers.ts";
import { RawClient, VERSION_REQUEST } from "./raw.ts";

const GiB = 2 ** 30;
const READ = 1;
const WRITE = 2;

let server: ServerChild;
beforeAll(async () => {
  server = await spawnServer();
});
afterAll(async () => {
  await server.stop();
});

/** The server's virtual size in KiB. */
function vmKiB(pid: number): number {
  const m = /VmSize:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return m ? Number(m[1]) : -1;
}

/** A raw, versioned connection with helpers for the few commands these tests need. */
class Hostile implements Disposable {
  private readonly raw: RawClient;
  private id = 1;
  constructor() {
    this.raw = new RawClient(server.path);
    this.raw.send(VERSION_REQUEST);
    expect(typeof this.raw.recv()).toBe("object");
  }
  /** Sends a command and returns its errno (0 on success). */
  command(cmd: number, payload: Uint8Array, fds: number[] = []): number {
    const id = this.id++;
    expect(this.raw.send(encodeMessage(id, cmd, 0, payload), fds)).toBe(true);
    const reply = this.raw.recv(5000);
    if (typeof reply === "string") throw new Error(`no reply to command ${cmd}: ${reply}`);
    const dv = new DataView(reply.bytes.buffer);
    expect(dv.getUint16(0, true)).toBe(id);
    return dv.getUint32(12, true);
  }
  dmaMap(fd: number, offset: number, iova: number, size: number, flags = READ | WRITE): number {
    const p = encodeDmaMap({ argsz: 32, flags, offset, address: iova, size });
    return this.command(Cmd.DMA_MAP, p, [fd]);
  }
  dmaUnmap(iova: number, size: number): number {
    const p = encodeDmaUnmap({ argsz: 24, flags: 0, address: iova, size });
    return this.command(Cmd.DMA_UNMAP, p);
  }
  write32(offset: number, value: number): void {
    const data = new Uint8Array(4);
    new DataView(data.buffer).setUint32(0, value >>> 0, true);
    const p = encodeRegionAccess({ offset, region: 0, count: 4, data });
    expect(this.command(Cmd.REGION_WRITE, p)).toBe(0);
  }
  read32(offset: number): number {
    const p = encodeRegionAccess({ offset, region: 0, count: 4, data: new Uint8Array(0) });
    const id = this.id++;
    this.raw.send(encodeMessage(id, Cmd.REGION_READ, 0, p));
    const reply = this.raw.recv(5000);
    if (typeof reply === "string") throw new Error(`no reply to REGION_READ: ${reply}`);
    return new DataView(reply.bytes.buffer).getUint32(32, true);
  }
  /** The test device fills `len` bytes at `iova` with pattern + word index: 1 done, 2 fault. */
  dmaFill(iova: number, len: number, pattern: number): number {
    this.write32(REG.DMA_LO, iova >>> 0);
    this.write32(REG.DMA_HI, Math.floor(iova / 2 ** 32));
    this.write32(REG.DMA_LEN, len);
    this.write32(REG.DMA_PATTERN, pattern);
    this.write32(REG.DMA_GO, 1);
    return this.read32(REG.DMA_STATUS);
  }
  [Symbol.dispose](): void {
    this.raw.close();
  }
}

/** A memfd of `bytes`; sealable when `sealable` (the server then seals it against shrinking). */
function memfd(bytes: number, sealable = true): number {
  const fd = memfdCreate("hostile", K.MFD_CLOEXEC | (sealable ? K.MFD_ALLOW_SEALING : 0));
  ftruncate(fd, bytes);
  return fd;
}

/** Reads a 32-bit word of the file at `offset` through a mapping of our own. */
function peek(fd: number, offset: number): number {
  const page = Math.floor(offset / 4096) * 4096;
  const at = mmap(4096, K.PROT_READ, K.MAP_SHARED, fd, page);
  try {
    return new Uint32Array(viewOf(at, 4096))[(offset - page) >>> 2] as number;
  } finally {
    munmap(at, 4096);
  }
}

/** The server is alive and a well-behaved client gets served. */
function goodClientServed(): void {
  expect(server.proc.exitCode).toBeNull();
  using dev = connectVfioUser(server.path);
  expect(dev.readConfig(0, 2)).toBe(0x8086);
}

test("a window past the end of its file is refused, and the server lives", () => {
  const fd = memfd(0x1000);
  try {
    using c = new Hostile();
    expect(c.dmaMap(fd, 0, 0x100000, 0x10000)).toBe(22); // EINVAL
    expect(c.dmaMap(fd, 0x1000, 0x100000, 0x1000)).toBe(22); // offset at the end
    expect(c.dmaFill(0x108000, 16, 1)).toBe(2); // nothing mapped there: a DMA fault
  } finally {
    close(fd);
  }
  goodClientServed();
});

test("a file that could shrink under the mapping is refused; a sealable one is sealed", () => {
  const loose = memfd(0x10000, false);
  const sealable = memfd(0x10000);
  try {
    using c = new Hostile();
    expect(c.dmaMap(loose, 0, 0x100000, 0x10000)).toBe(1); // EPERM: cannot be sealed
    expect(c.dmaMap(sealable, 0, 0x100000, 0x10000)).toBe(0);
    expect(() => ftruncate(sealable, 0)).toThrow(/EPERM/); // the seal holds
    ftruncate(sealable, 0x20000); // growing is harmless and still allowed
    expect(c.dmaFill(0x10fff0, 16, 0x1234)).toBe(1);
    expect(peek(sealable, 0xfff0)).toBe(0x1234);
    expect(c.dmaUnmap(0x100000, 0x10000)).toBe(0);
  } finally {
    close(loose);
    close(sealable);
  }
  goodClientServed();
});

test("DMA_MAP protection flags: the device cannot write a READ-only window", () => {
  const fd = memfd(0x10000);
  try {
    using c = new Hostile();
    expect(c.dmaMap(fd, 0, 0x100000, 0x8000, READ)).toBe(0);
    expect(c.dmaMap(fd, 0x8000, 0x200000, 0x8000, WRITE)).toBe(0);
    expect(c.dmaFill(0x100000, 64, 0xbad)).toBe(2); // a DMA fault, memory untouched
    expect(peek(fd, 0)).toBe(0);
    expect(c.dmaFill(0x200000, 64, 0x600d)).toBe(1);
    expect(peek(fd, 0x8000)).toBe(0x600d);
  } finally {
    close(fd);
  }
  goodClientServed();
});

test("a 64 GiB window maps in one DMA_MAP, every part is reachable, and unmapping frees it", () => {
  const size = 64 * GiB; // sparse: only the pages the device writes are ever allocated
  const fd = memfd(size);
  const iova = 2 ** 40;
  const vm0 = vmKiB(server.pid);
  try {
    using c = new Hostile();
    expect(c.dmaMap(fd, 0, iova, size)).toBe(0);
    expect(vmKiB(server.pid) - vm0).toBeGreaterThanOrEqual(size / 1024);
    for (const at of [0, GiB - 8, 4 * GiB - 4, 4 * GiB, 37 * GiB + 100, size - 16]) {
      const pattern = (0x1000 + at / 4096) >>> 0;
      expect(c.dmaFill(iova + at, 16, pattern)).toBe(1);
      expect(peek(fd, at)).toBe(pattern);
    }
    expect(c.dmaFill(iova + size - 8, 16, 1)).toBe(2); // runs past the end
    expect(c.dmaUnmap(iova, size)).toBe(0);
    expect(vmKiB(server.pid) - vm0).toBeLessThan(64 * 1024);
    // Refused and repeated big maps leave no address space behind.
    for (let i = 0; i < 4; i++) {
      expect(c.dmaMap(fd, 0, iova, size)).toBe(0);
      expect(c.dmaMap(fd, 0, iova + size, size)).toBe(0);
      expect(c.dmaMap(fd, 4096, iova + 2 * size, size)).toBe(22); // past the end of the file
      expect(c.dmaUnmap(iova, size)).toBe(0);
      expect(c.dmaUnmap(iova + size, size)).toBe(0);
    }
    expect(vmKiB(server.pid) - vm0).toBeLessThan(64 * 1024);
  } finally {
    close(fd);
  }
  goodClientServed();
});

test("non-file fds are refused, and a client leaving with windows mapped frees them", () => {
  const fd = memfd(GiB);
  const vm0 = vmKiB(server.pid);
  try {
    {
      using c = new Hostile();
      const efd = eventfd(0);
      expect(c.dmaMap(efd, 0, 0x100000, 0x1000)).toBe(22);
      close(efd);
      expect(c.dmaMap(fd, 0, 0x40000000, GiB)).toBe(0);
    }
    goodClientServed(); // connecting waits until the server has dropped the old client
    expect(vmKiB(server.pid) - vm0).toBeLessThan(64 * 1024);
  } finally {
    close(fd);
  }
});
