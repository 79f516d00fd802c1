/*
 * IOVA placement when the IOMMU has fewer address bits than user space: a fake kernel behind
 * the DmaKernel seam records the VFIO_IOMMU_MAP_DMA / UNMAP_DMA requests (encoded with the
 * layouts kernel-abi.test.ts checks against <linux/vfio.h> with gcc), and the windows come from
 * an IOMMU_GET_INFO reply with an IOVA_RANGE capability, decoded as the container does.
 */
import { describe, expect, test } from "bun:test";
import { VfioError } from "../src/errors.ts";
import { LAYOUTS, VFIO } from "../src/kernel/abi.ts";
import { type DmaKernel, DmaMappings } from "../src/kernel/dma.ts";
import { iovaAlignment } from "../src/kernel/iova-alloc.ts";
import { decodeIommuInfo, type IommuInfo } from "../src/kernel/structs.ts";

const MiB = 2 ** 20;
const HUGE = 2 * MiB;
/** A user-space address above what a 39-bit IOMMU reaches (x86-64 mmap hands these out). */
const HIGH_VA = 0x7f12_3440_0000;

/** An IOMMU_GET_INFO reply: 4 KiB/2 MiB/1 GiB pages and the given windows ([start, end]). */
function iommuInfo(windows: readonly [number, number][]): IommuInfo {
  const size = 24 + 16 + 16 * windows.length;
  const buf = new Uint8Array(size);
  const v = new DataView(buf.buffer);
  v.setUint32(0, size, true);
  v.setUint32(4, VFIO.IOMMU_INFO_PGSIZES | VFIO.IOMMU_INFO_CAPS, true);
  v.setBigUint64(8, 0x40201000n, true);
  v.setUint32(16, 24, true); // cap_offset
  v.setUint16(24, VFIO.IOMMU_TYPE1_INFO_CAP_IOVA_RANGE, true);
  v.setUint16(26, 1, true);
  v.setUint32(28, 0, true); // end of chain
  v.setUint32(32, windows.length, true);
  windows.forEach(([start, end], i) => {
    v.setBigUint64(40 + 16 * i, BigInt(start), true);
    v.setBigUint64(48 + 16 * i, BigInt(end), true);
  });
  return decodeIommuInfo(buf);
}

/** A kernel that accepts every request and remembers them, decoded through LAYOUTS. */
class FakeKernel implements DmaKernel {
  readonly maps: { vaddr: number; iova: number; size: number; flags: number }[] = [];
  readonly unmaps: { iova: number; size: number }[] = [];
  map(req: Uint8Array): void {
    const F = LAYOUTS.vfio_iommu_type1_dma_map.fields;
    const v = new DataView(req.buffer, req.byteOffset, req.byteLength);
    const u64 = (at: number) => Number(v.getBigUint64(at, true));
    this.maps.push({
      vaddr: u64(F.vaddr.offset),
      iova: u64(F.iova.offset),
      size: u64(F.size.offset),
      flags: v.getUint32(F.flags.offset, true),
    });
  }
  unmap(req: Uint8Array): void {
    const F = LAYOUTS.vfio_iommu_type1_dma_unmap.fields;
    const v = new DataView(req.buffer, req.byteOffset, req.byteLength);
    this.unmaps.push({
      iova: Number(v.getBigUint64(F.iova.offset, true)),
      size: Number(v.getBigUint64(F.size.offset, true)),
    });
  }
}

function setup(windows: readonly [number, number][]) {
  const kernel = new FakeKernel();
  const dma = new DmaMappings(-1, kernel);
  dma.setLimits(iommuInfo(windows));
  return { kernel, dma };
}

const BITS39: [number, number][] = [[0, 2 ** 39 - 1]];

describe("IOVA placement", () => {
  test("a virtual address the IOMMU reaches is used as the IOVA (ixy's IOVA = VA)", () => {
    const { kernel, dma } = setup(BITS39);
    expect(dma.place(0x40_0000_0000 - HUGE, HUGE)).toBe(0x40_0000_0000 - HUGE);
    expect(kernel.maps).toEqual([
      {
        vaddr: 0x40_0000_0000 - HUGE,
        iova: 0x40_0000_0000 - HUGE,
        size: HUGE,
        flags: VFIO.DMA_MAP_FLAG_READ | VFIO.DMA_MAP_FLAG_WRITE,
      },
    ]);
  });

  test("a 39-bit IOMMU and a 47-bit address: an IOVA allocated inside the window instead", () => {
    const { kernel, dma } = setup(BITS39);
    const iova = dma.place(HIGH_VA, 3 * HUGE);
    expect(iova).toBeGreaterThan(0);
    expect(iova + 3 * HUGE - 1).toBeLessThanOrEqual(2 ** 39 - 1);
    expect(iova % HUGE).toBe(0); // hugepage blocks keep hugepage IOMMU mappings
    expect(kernel.maps).toHaveLength(1);
    expect(kernel.maps[0]).toMatchObject({ vaddr: HIGH_VA, iova, size: 3 * HUGE });
    // A second block gets its own, non-overlapping IOVA.
    const other = dma.place(HIGH_VA + 64 * MiB, HUGE);
    expect(other >= iova + 3 * HUGE || other + HUGE <= iova).toBe(true);
  });

  test("the same block mapped again (a second device) shares the IOVA; the last unmap frees it", () => {
    const { kernel, dma } = setup(BITS39);
    const a = dma.place(HIGH_VA, HUGE);
    expect(dma.place(HIGH_VA, HUGE)).toBe(a);
    expect(kernel.maps).toHaveLength(1);
    dma.unmap(a, HUGE);
    expect(kernel.unmaps).toHaveLength(0);
    dma.unmap(a, HUGE);
    expect(kernel.unmaps).toEqual([{ iova: a, size: HUGE }]);
    // The range is free again: the next block of that size lands on it.
    expect(dma.place(HIGH_VA + HUGE, HUGE)).toBe(a);
  });

  test("windows with a hole: allocation skips the hole and IOVA 0", () => {
    const { dma } = setup([
      [0, 0xfedf_ffff],
      [0xfef0_0000, 2 ** 39 - 1],
    ]);
    const iova = dma.place(HIGH_VA, 1024 * MiB);
    expect(iova).toBeGreaterThan(0);
    const inLow = iova + 1024 * MiB - 1 <= 0xfedf_ffff;
    const inHigh = iova >= 0xfef0_0000;
    expect(inLow || inHigh).toBe(true);
  });

  test("full windows are a DMA error naming them, and nothing is mapped", () => {
    const { kernel, dma } = setup([[0x20_0000, 0x5f_ffff]]); // room for two 2 MiB blocks
    dma.place(HIGH_VA, HUGE);
    dma.place(HIGH_VA + HUGE, HUGE);
    let err: unknown;
    try {
      dma.place(HIGH_VA + 2 * HUGE, HUGE);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(VfioError);
    expect((err as VfioError).code).toBe("DMA");
    expect((err as VfioError).message).toContain("[0x200000, 0x5fffff]");
    expect(kernel.maps).toHaveLength(2);
  });

  test("a failed kernel map gives the allocated IOVA back", () => {
    const kernel = new FakeKernel();
    let fail = true;
    const dma = new DmaMappings(-1, {
      map: (req) => {
        if (fail) throw Object.assign(new Error("ENOMEM"), { code: "ENOMEM" });
        kernel.map(req);
      },
      unmap: (req) => kernel.unmap(req),
    });
    dma.setLimits(iommuInfo(BITS39));
    expect(() => dma.place(HIGH_VA, HUGE)).toThrow(/RLIMIT_MEMLOCK/);
    fail = false;
    const iova = dma.place(HIGH_VA, HUGE);
    expect(kernel.maps[0]?.iova).toBe(iova);
    expect(iova).toBe(HUGE); // the first free aligned IOVA, as if nothing had happened
  });

  test("alignment: the block's largest power-of-two divisor, from the page size up to 1 GiB", () => {
    expect(iovaAlignment(4096, 4096)).toBe(4096);
    expect(iovaAlignment(6 * MiB, 4096)).toBe(2 * MiB);
    expect(iovaAlignment(2 ** 32, 4096)).toBe(2 ** 30);
  });
});
