import { describe, expect, test } from "bun:test";
import { DmaPool, DmaPoolError, type DmaPoolMemory, NO_BLOCK } from "../src/index.ts";

const PAGE = 2 * 1024 * 1024;

/** Ordinary memory shaped like a hugepage region; pages "physically" scattered in reverse order. */
function fakeMemory(pages: number): DmaPoolMemory {
  const u8 = new Uint8Array(pages * PAGE);
  const physical = (offset: number) => {
    const page = Math.floor(offset / PAGE);
    return 0x1_0000_0000 * 3 + (pages - 1 - page) * PAGE * 2 + (offset % PAGE);
  };
  return {
    address: 0x7f0000000000,
    bytes: u8.length,
    pageSize: PAGE,
    u8,
    physicalAddress: physical,
  };
}

function errorOf(f: () => unknown): DmaPoolError {
  try {
    f();
  } catch (e) {
    if (e instanceof DmaPoolError) return e;
    throw e;
  }
  throw new Error("expected a DmaPoolError");
}

describe("DmaPool layout", () => {
  test("every block is aligned, crosses neither the boundary nor a page, and blocks never overlap", () => {
    const memory = fakeMemory(2);
    for (const [blockSize, align, boundary] of [
      [64, 64, 0],
      [100, 16, 4096],
      [1536, 128, 4096],
      [4096, 4096, 4096],
      [24, 8, 64],
      [3000, 1024 * 1024, 0],
    ] as const) {
      const pool = new DmaPool({ memory, dma: { kind: "physical" }, blockSize, align, boundary });
      let end = 0;
      for (let i = 0; i < pool.count; i++) {
        const off = pool.offset[i] as number;
        const device = pool.deviceAddress(i);
        expect(device).toBe(memory.physicalAddress(off));
        expect(device % align).toBe(0);
        expect(off).toBeGreaterThanOrEqual(end);
        end = off + blockSize;
        if (boundary > 0)
          expect(Math.floor(device / boundary)).toBe(
            Math.floor((device + blockSize - 1) / boundary),
          );
        expect(Math.floor(off / PAGE)).toBe(Math.floor((off + blockSize - 1) / PAGE));
      }
      // Dense: as many blocks as the constraints allow per page.
      const unit = boundary === 0 ? PAGE : boundary;
      const stride = Math.ceil(blockSize / align) * align;
      const expected =
        align >= unit
          ? Math.floor((2 * PAGE - blockSize) / align) + 1
          : ((2 * PAGE) / unit) * (Math.floor((unit - blockSize) / stride) + 1);
      expect(pool.count).toBe(expected);
    }
  });

  test("iova: device address = base + offset, two 32-bit halves", () => {
    const memory = fakeMemory(1);
    const base = 0x2_0000_0000;
    const pool = new DmaPool({ memory, dma: { kind: "iova", base }, blockSize: 256, align: 256 });
    expect(pool.deviceAddress(3)).toBe(base + 768);
    expect(pool.dmaHi[3]).toBe(2);
    expect(pool.dmaLo[3]).toBe(768);
  });

  test("bad shapes are refused with the reason", () => {
    const memory = fakeMemory(1);
    const physical = { kind: "physical" } as const;
    const cases: [Partial<{ blockSize: number; align: number; boundary: number }>, string][] = [
      [{ blockSize: 0 }, "blockSize 0"],
      [{ blockSize: 64, align: 48 }, "align 48 is not a power of two"],
      [{ blockSize: 8192, boundary: 4096 }, "boundary 4096 must be 0"],
      [{ blockSize: 4 * 1024 * 1024 }, "larger than the memory's"],
    ];
    for (const [shape, text] of cases) {
      const e = errorOf(() => new DmaPool({ memory, dma: physical, blockSize: 64, ...shape }));
      expect(e.code).toBe("BAD_ARGUMENT");
      expect(e.message).toContain(text);
    }
    const e = errorOf(
      () => new DmaPool({ memory, dma: { kind: "iova", base: 100 }, blockSize: 64 }),
    );
    expect(e.message).toContain("aligned to 64");
  });
});

describe("DmaPool alloc/free", () => {
  test("single and batch, all or nothing, each block once", () => {
    const memory = fakeMemory(1);
    const pool = new DmaPool({
      memory,
      dma: { kind: "physical" },
      blockSize: 512 * 1024,
      align: 4096,
    });
    expect(pool.count).toBe(4);
    const a = pool.allocOne();
    expect(a).toBe(0);
    const batch = new Uint32Array(3);
    expect(pool.allocBatch(batch)).toBe(3);
    expect(new Set([a, ...batch]).size).toBe(4);
    expect(pool.allocOne()).toBe(NO_BLOCK);
    expect(pool.allocBatch(new Uint32Array(1))).toBe(0);
    pool.free(a);
    expect(errorOf(() => pool.free(a)).message).toContain("already free");
    expect(errorOf(() => pool.free(99)).code).toBe("BAD_BLOCK");
    // A batch holding one block twice is refused whole: nothing is freed.
    const dup = Uint32Array.of(batch[0] as number, batch[0] as number);
    expect(errorOf(() => pool.freeBatch(dup)).code).toBe("BAD_BLOCK");
    expect(pool.available).toBe(1);
    pool.freeBatch(batch);
    expect(pool.available).toBe(4);
  });

  test("zallocOne hands out a zeroed block", () => {
    const memory = fakeMemory(1);
    memory.u8.fill(0xee);
    const pool = new DmaPool({
      memory,
      dma: { kind: "physical" },
      blockSize: 96,
      align: 32,
      boundary: 4096,
    });
    const b = pool.zallocOne();
    expect(pool.view(b).every((x) => x === 0)).toBe(true);
    expect(memory.u8[(pool.offset[b] as number) + 96]).toBe(0xee);
  });
});
