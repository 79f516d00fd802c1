/*
 * RegionMmio over a plain file standing in for a VFIO device fd: the region sits at a file
 * offset, sparse areas are mmapped, the hole between them goes through pread/pwrite.
 */
import { afterEach, beforeEach, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { close, constants, ftruncate, open, pread, pwrite } from "@dataplane/sys";
import type { RegionInfo } from "../src/device.ts";
import { VfioError } from "../src/errors.ts";
import { VFIO } from "../src/kernel/abi.ts";
import { RegionMmio } from "../src/kernel/region-mmio.ts";

const REGION_AT = 0x10000; // where "the kernel" placed the region in the device fd
const RW_MMAP =
  VFIO.REGION_INFO_FLAG_READ | VFIO.REGION_INFO_FLAG_WRITE | VFIO.REGION_INFO_FLAG_MMAP;
const SPARSE: RegionInfo = {
  index: 0,
  flags: RW_MMAP | VFIO.REGION_INFO_FLAG_CAPS,
  size: 0x8000,
  offset: REGION_AT,
  sparseAreas: [
    { offset: 0, size: 0x2000 },
    { offset: 0x4000, size: 0x4000 },
  ],
};

let dir = "";
let path = "";
let fd = -1;

beforeEach(() => {
  dir = mkdtempSync(`${tmpdir()}/dataplane-vfio-region-`);
  path = `${dir}/device`;
  fd = open(path, constants.O_RDWR | constants.O_CREAT | constants.O_CLOEXEC);
  ftruncate(fd, REGION_AT + 0x8000);
});

afterEach(() => {
  close(fd);
  rmSync(dir, { recursive: true, force: true });
});

const fileWord = (at: number): number => {
  const w = new Uint32Array(1);
  pread(fd, w, 4, at);
  return w[0] as number;
};
const mapped = (): boolean => readFileSync("/proc/self/maps", "latin1").includes(path);

test("mapped areas are direct, the hole between them is trapped, both land in the same file", () => {
  using mmio = new RegionMmio(fd, SPARSE);
  mmio.write32(0x0000, 0x11111111);
  mmio.write32(0x2004, 0x22222222); // inside the hole: pwrite at REGION_AT + 0x2004
  mmio.write32(0x4008, 0xfffffffe);
  expect(fileWord(REGION_AT + 0x0000)).toBe(0x11111111);
  expect(fileWord(REGION_AT + 0x2004)).toBe(0x22222222);
  expect(fileWord(REGION_AT + 0x4008)).toBe(0xfffffffe);
  pwrite(fd, new Uint32Array([0xabcd]), 4, REGION_AT + 0x2010);
  expect(mmio.read32(0x2010)).toBe(0xabcd); // trapped read
  expect(mmio.read32(0x4008)).toBe(0xfffffffe); // direct read, unsigned
  expect(mmio.word(0x2004)).toBeNull();
  const w = mmio.word(0x4008);
  expect(w?.index).toBe(2);
  Atomics.store(w?.view as Uint32Array, 2, 7);
  expect(fileWord(REGION_AT + 0x4008)).toBe(7);
  expect(() => mmio.word(0x8000)).toThrow(VfioError);
});

test("no sparse list maps the whole region; no MMAP flag traps everything", () => {
  using whole = new RegionMmio(fd, { ...SPARSE, sparseAreas: [] });
  expect(whole.word(0x2004)).not.toBeNull();
  using trapped = new RegionMmio(fd, {
    ...SPARSE,
    flags: VFIO.REGION_INFO_FLAG_READ | VFIO.REGION_INFO_FLAG_WRITE,
  });
  expect(trapped.word(0)).toBeNull();
  whole.write32(0x2004, 99);
  expect(trapped.read32(0x2004)).toBe(99);
});

test("close unmaps every area, is idempotent, and later trapped access says CLOSED", () => {
  const mmio = new RegionMmio(fd, SPARSE);
  expect(mapped()).toBe(true);
  mmio.close();
  mmio.close();
  expect(mapped()).toBe(false);
  let code = "";
  try {
    mmio.read32(0x2000);
  } catch (e) {
    code = (e as VfioError).code;
  }
  expect(code).toBe("CLOSED");
});

test("an area that is not page-aligned is refused and nothing stays mapped", () => {
  const bad: RegionInfo = {
    ...SPARSE,
    sparseAreas: [
      { offset: 0, size: 0x1000 },
      { offset: 0x4100, size: 0x1000 },
    ],
  };
  expect(() => new RegionMmio(fd, bad)).toThrow(VfioError);
  expect(mapped()).toBe(false);
});
