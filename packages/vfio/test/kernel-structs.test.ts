/* Encoders and decoders of the kernel VFIO structs, on handcrafted little-endian buffers. */
import { describe, expect, test } from "bun:test";
import { VfioError } from "../src/errors.ts";
import { VFIO } from "../src/kernel/abi.ts";
import { checkDmaRequest, DEFAULT_IOVA_LIMIT, DmaMappings } from "../src/kernel/dma.ts";
import {
  decodeIommuInfo,
  decodeIrqInfo,
  decodeRegionInfo,
  encodeDmaMap,
  encodeDmaUnmap,
  encodeIrqSet,
  getU64,
  regionInfoRequest,
  setU64,
  walkCaps,
} from "../src/kernel/structs.ts";

const dv = (buf: Uint8Array) => new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
const u64 = (v: DataView, at: number, value: bigint) => v.setBigUint64(at, value, true);

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(VfioError);
    return (e as VfioError).code;
  }
  return undefined;
}

/**
 * A REGION_INFO reply for BAR0 as vfio-pci would write it for a BAR with an MSI-X hole:
 * region info (32 B), an MSIX_MAPPABLE header at 32, a sparse mmap cap at 40 with 2 areas.
 */
function bar0Reply(): Uint8Array {
  const buf = new Uint8Array(88);
  const v = dv(buf);
  v.setUint32(0, 88, true); // argsz
  v.setUint32(4, 0xf, true); // READ|WRITE|MMAP|CAPS
  v.setUint32(8, 0, true); // index
  v.setUint32(12, 32, true); // cap_offset
  u64(v, 16, 0x80000n); // size
  u64(v, 24, 0n); // offset
  v.setUint16(32, VFIO.REGION_INFO_CAP_MSIX_MAPPABLE, true);
  v.setUint16(34, 1, true);
  v.setUint32(36, 40, true); // next, from the start of the buffer
  v.setUint16(40, VFIO.REGION_INFO_CAP_SPARSE_MMAP, true);
  v.setUint16(42, 1, true);
  v.setUint32(44, 0, true); // end of chain
  v.setUint32(48, 2, true); // nr_areas
  u64(v, 56, 0x0n);
  u64(v, 64, 0x4000n);
  u64(v, 72, 0x8000n);
  u64(v, 80, 0x78000n);
  return buf;
}

describe("region info", () => {
  test("the request carries argsz and index", () => {
    const req = regionInfoRequest(7);
    expect(req.byteLength).toBe(32);
    expect(dv(req).getUint32(0, true)).toBe(32);
    expect(dv(req).getUint32(8, true)).toBe(7);
    expect(dv(regionInfoRequest(0, 96)).getUint32(0, true)).toBe(96);
  });

  test("decodes the capability chain and the sparse mmap areas", () => {
    const reply = decodeRegionInfo(bar0Reply());
    expect(reply.argsz).toBe(88);
    expect(reply.capIds).toEqual([
      VFIO.REGION_INFO_CAP_MSIX_MAPPABLE,
      VFIO.REGION_INFO_CAP_SPARSE_MMAP,
    ]);
    expect(reply.info).toEqual({
      index: 0,
      flags: 0xf,
      size: 0x80000,
      offset: 0,
      sparseAreas: [
        { offset: 0, size: 0x4000 },
        { offset: 0x8000, size: 0x78000 },
      ],
    });
  });

  test("a 64-bit region offset (index << 40) decodes exactly", () => {
    const buf = new Uint8Array(32);
    const v = dv(buf);
    v.setUint32(0, 32, true);
    v.setUint32(4, 0x3, true);
    v.setUint32(8, 7, true);
    u64(v, 16, 4096n);
    u64(v, 24, 7n << 40n);
    const { info, capIds } = decodeRegionInfo(buf);
    expect(info).toMatchObject({ index: 7, size: 4096, offset: 7 * 2 ** 40, sparseAreas: [] });
    expect(capIds).toEqual([]);
  });

  test("a reply asking for more room is not walked (the kernel left cap_offset 0)", () => {
    const full = bar0Reply();
    const short = full.slice(0, 32);
    dv(short).setUint32(12, 0, true);
    const reply = decodeRegionInfo(short);
    expect(reply.argsz).toBe(88);
    expect(reply.info.sparseAreas).toEqual([]);
  });

  test("malformed chains are PROTOCOL errors, not out-of-bounds reads or loops", () => {
    const outside = bar0Reply();
    dv(outside).setUint32(36, 200, true);
    expect(codeOf(() => decodeRegionInfo(outside))).toBe("PROTOCOL");
    const loop = bar0Reply();
    dv(loop).setUint32(44, 32, true); // sparse cap points back at the first one
    expect(codeOf(() => decodeRegionInfo(loop))).toBe("PROTOCOL");
    const tooMany = bar0Reply();
    dv(tooMany).setUint32(48, 3, true);
    expect(codeOf(() => decodeRegionInfo(tooMany))).toBe("PROTOCOL");
    expect(walkCaps(bar0Reply(), 32).map((c) => [c.id, c.version, c.offset])).toEqual([
      [3, 1, 32],
      [1, 1, 40],
    ]);
  });
});

describe("IRQs", () => {
  test("SET_IRQS with eventfds: 20-byte header then one int32 per vector", () => {
    const req = encodeIrqSet(VFIO.PCI_MSIX_IRQ_INDEX, 0x24, 0, [17, -1]);
    const v = dv(req);
    expect(req.byteLength).toBe(28);
    expect([0, 4, 8, 12, 16].map((o) => v.getUint32(o, true))).toEqual([28, 0x24, 2, 0, 2]);
    expect([v.getInt32(20, true), v.getInt32(24, true)]).toEqual([17, -1]);
  });

  test("disable-all is DATA_NONE|ACTION_TRIGGER with count 0", () => {
    const v = dv(encodeIrqSet(2, VFIO.IRQ_SET_DATA_NONE | VFIO.IRQ_SET_ACTION_TRIGGER, 0, []));
    expect([0, 4, 8, 12, 16].map((o) => v.getUint32(o, true))).toEqual([20, 0x21, 2, 0, 0]);
  });

  test("IRQ_INFO reply", () => {
    const buf = new Uint8Array(16);
    [16, 0x9, 2, 64].forEach((x, i) => {
      dv(buf).setUint32(i * 4, x, true);
    });
    expect(decodeIrqInfo(buf)).toEqual({ index: 2, flags: 0x9, count: 64 });
  });
});

describe("IOMMU and DMA", () => {
  test("MAP_DMA and UNMAP_DMA carry 64-bit addresses as little-endian halves", () => {
    const vaddr = 0x7f12_3456_7000;
    const map = dv(encodeDmaMap(vaddr, vaddr, 2 ** 21, 3));
    expect(map.getUint32(0, true)).toBe(32);
    expect(map.getUint32(4, true)).toBe(3);
    expect(map.getBigUint64(8, true)).toBe(BigInt(vaddr));
    expect(map.getBigUint64(16, true)).toBe(BigInt(vaddr));
    expect(map.getBigUint64(24, true)).toBe(2n ** 21n);
    const unmap = dv(encodeDmaUnmap(0x1_0000_0000, 4096));
    expect(unmap.getUint32(0, true)).toBe(24);
    expect(unmap.getBigUint64(8, true)).toBe(0x1_0000_0000n);
    expect(unmap.getBigUint64(16, true)).toBe(4096n);
  });

  test("u64 helpers round-trip below 2^53 and saturate above", () => {
    const v = new DataView(new ArrayBuffer(8));
    for (const n of [0, 1, 0xffffffff, 2 ** 32, 2 ** 47 + 12345, Number.MAX_SAFE_INTEGER]) {
      setU64(v, 0, n);
      expect(v.getBigUint64(0, true)).toBe(BigInt(n));
      expect(getU64(v, 0)).toBe(n);
    }
    v.setBigUint64(0, 2n ** 64n - 1n, true);
    expect(getU64(v, 0)).toBe(Number.MAX_SAFE_INTEGER);
  });

  test("IOMMU_GET_INFO: page sizes, IOVA ranges and DMA avail capabilities", () => {
    const buf = new Uint8Array(24 + 48 + 12);
    const v = dv(buf);
    v.setUint32(0, buf.byteLength, true);
    v.setUint32(4, VFIO.IOMMU_INFO_PGSIZES | VFIO.IOMMU_INFO_CAPS, true);
    u64(v, 8, 0x40201000n); // 4 KiB | 2 MiB | 1 GiB
    v.setUint32(16, 24, true);
    v.setUint16(24, VFIO.IOMMU_TYPE1_INFO_CAP_IOVA_RANGE, true);
    v.setUint16(26, 1, true);
    v.setUint32(28, 72, true);
    v.setUint32(32, 2, true); // nr_iovas
    u64(v, 40, 0n);
    u64(v, 48, 0xfedfffffn);
    u64(v, 56, 0xfef00000n);
    u64(v, 64, 2n ** 64n - 1n);
    v.setUint16(72, VFIO.IOMMU_TYPE1_INFO_DMA_AVAIL, true);
    v.setUint16(74, 1, true);
    v.setUint32(80, 65535, true);
    expect(decodeIommuInfo(buf)).toEqual({
      flags: 3,
      argsz: buf.byteLength,
      minPageSize: 4096,
      iovaRanges: [
        { start: 0, end: 0xfedfffff },
        { start: 0xfef00000, end: Number.MAX_SAFE_INTEGER },
      ],
      dmaAvail: 65535,
    });
  });

  test("smallest page from the high half of iova_pgsizes, 4 KiB when not reported", () => {
    const buf = new Uint8Array(24);
    const v = dv(buf);
    v.setUint32(0, 24, true);
    v.setUint32(4, VFIO.IOMMU_INFO_PGSIZES, true);
    u64(v, 8, 1n << 33n);
    expect(decodeIommuInfo(buf).minPageSize).toBe(2 ** 33);
    v.setUint32(4, 0, true);
    expect(decodeIommuInfo(buf)).toMatchObject({
      minPageSize: 4096,
      iovaRanges: [],
      dmaAvail: null,
    });
  });

  test("DMA requests are checked for alignment and valid IOVA windows", () => {
    const limits = { minPageSize: 4096, iovaRanges: [{ start: 0, end: 0xfedfffff }] };
    expect(() => checkDmaRequest(limits, 0x200000, 0x200000, 0x200000)).not.toThrow();
    expect(codeOf(() => checkDmaRequest(limits, 0x200800, 0x200000, 0x200000))).toBe("DMA");
    expect(codeOf(() => checkDmaRequest(limits, 0x200000, 0x200000, 100))).toBe("DMA");
    expect(codeOf(() => checkDmaRequest(limits, 0x200000, 0x200000, 0))).toBe("DMA");
    // IOVA = VA of a typical user mapping is above a 32-bit window: told to pass an iova.
    let message = "";
    try {
      checkDmaRequest(limits, 0x7f0000000000, 0x7f0000000000, 0x200000);
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toContain("outside the IOMMU's valid windows [0x0, 0xfedfffff]");
    const open = { minPageSize: 4096, iovaRanges: [] };
    expect(() => checkDmaRequest(open, 0x7f0000000000, 0x7f0000000000, 0x200000)).not.toThrow();
    expect(codeOf(() => checkDmaRequest(open, 0, DEFAULT_IOVA_LIMIT, 4096))).toBe("DMA");
  });

  test("the mapping registry refuses what it cannot have mapped before asking the kernel", () => {
    const maps = new DmaMappings(-1); // no container: any ioctl that is reached fails EBADF
    expect(codeOf(() => maps.unmap(0x200000, 0x200000))).toBe("DMA");
    expect(codeOf(() => maps.map(0x200000, 0x200800, 0x200000))).toBe("DMA");
    const e = (() => {
      try {
        maps.map(0x200000, 0x200000, 0x200000);
      } catch (err) {
        return err as VfioError;
      }
      throw new Error("expected a failure");
    })();
    expect(e.code).toBe("DMA");
    expect(e.message).toContain(
      "VFIO_IOMMU_MAP_DMA of 2097152 bytes at IOVA 0x200000 failed (EBADF)",
    );
    expect((e.cause as { code?: string }).code).toBe("EBADF");
    expect(codeOf(() => maps.unmap(0x200000, 0x200000))).toBe("DMA"); // the failed map was not recorded
  });
});
