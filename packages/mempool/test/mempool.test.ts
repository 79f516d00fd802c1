import { describe, expect, test } from "bun:test";
import { Mempool, MempoolError, type MempoolMemory, NO_BUFFER } from "../src/index.ts";
import { plainMemory, type TestMemory } from "./support/memory.ts";

const IOVA = 0x1_2340_0000; // above 4 GiB, so dmaHi is exercised

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    if (e instanceof MempoolError) return e.code;
    throw e;
  }
  return "no error";
}

function withPool(count: number, fn: (pool: Mempool, memory: TestMemory) => void): void {
  const memory = plainMemory(count * 2048);
  try {
    using pool = Mempool.create({ memory, dma: { kind: "iova", base: IOVA } });
    fn(pool, memory);
  } finally {
    memory.close();
  }
}

describe("IOVA pool layout", () => {
  test("DMA address of each buffer = base + offset of its data start", () => {
    withPool(32, (pool, memory) => {
      expect(pool.count).toBe(32);
      expect(pool.headroom).toBe(128);
      expect(pool.dataRoom).toBe(1920);
      for (let i = 0; i < pool.count; i++) {
        const off = i * 2048 + 128;
        expect(pool.dataOffset[i]).toBe(off);
        expect(pool.offset(i)).toBe(off);
        expect(pool.dmaAddress(i)).toBe(IOVA + off);
        expect(pool.dmaHi[i]).toBe(1);
        expect(pool.dmaLo[i]).toBe((0x2340_0000 + off) >>> 0);
        expect(pool.dataAddress(i)).toBe(memory.address + off);
      }
    });
  });

  test("u8/u32 are views of the memory itself", () => {
    withPool(4, (pool, memory) => {
      const i = pool.allocOne();
      pool.u32[(pool.dataOffset[i] as number) >>> 2] = 0xa1b2c3d4;
      expect(memory.u8[pool.offset(i)]).toBe(0xd4);
      memory.u8[pool.offset(i) + 3] = 0x55;
      expect(pool.u8[pool.offset(i) + 3]).toBe(0x55);
      pool.len[i] = 60;
      expect(pool.len[i]).toBe(60);
    });
  });

  test("custom buffer size and headroom, and a count smaller than what fits", () => {
    const memory = plainMemory(65536);
    try {
      const pool = Mempool.create({
        memory,
        dma: { kind: "iova", base: memory.address },
        bufferSize: 4096,
        headroom: 64,
        count: 10,
      });
      expect(pool.count).toBe(10);
      expect(pool.dataOffset[9]).toBe(9 * 4096 + 64);
      expect(pool.dmaAddress(9)).toBe(memory.address + 9 * 4096 + 64);
      pool.close();
    } finally {
      memory.close();
    }
  });
});

describe("alloc and free", () => {
  test("fresh pool hands out 0, 1, 2, ... then NO_BUFFER", () => {
    withPool(16, (pool) => {
      for (let i = 0; i < 16; i++) {
        expect(pool.available).toBe(16 - i);
        expect(pool.allocOne()).toBe(i);
      }
      expect(pool.available).toBe(0);
      expect(pool.allocOne()).toBe(NO_BUFFER);
    });
  });

  test("LIFO: the most recently freed buffer comes back first", () => {
    withPool(16, (pool) => {
      const a = pool.allocOne();
      const b = pool.allocOne();
      const c = pool.allocOne();
      pool.freeOne(a);
      pool.freeOne(c);
      expect(pool.allocOne()).toBe(c);
      expect(pool.allocOne()).toBe(a);
      pool.freeOne(b);
      expect(pool.allocOne()).toBe(b);
      const batch = new Uint32Array([5, 9, 7]);
      for (const i of batch) expect(i).toBeGreaterThan(2);
      const out = new Uint32Array(8);
      expect(pool.allocBatch(out, 8)).toBe(8); // 3..10
      expect(pool.freeBatch(new Uint32Array([4, 9, 6]), 3)).toBe(3);
      expect(pool.allocBatch(out, 3)).toBe(3);
      expect(Array.from(out.subarray(0, 3))).toEqual([4, 9, 6]); // as freed
    });
  });

  test("allocBatch is partial: short counts near exhaustion, 0 when empty", () => {
    withPool(50, (pool) => {
      const out = new Uint32Array(32);
      expect(pool.allocBatch(out, 32)).toBe(32);
      const first = Array.from(out);
      out.fill(0xdead);
      expect(pool.allocBatch(out, 32)).toBe(18);
      expect(out[17]).not.toBe(0xdead);
      expect(out[18]).toBe(0xdead); // untouched past the count
      expect(pool.available).toBe(0);
      expect(pool.allocBatch(out, 32)).toBe(0);
      const all = new Set([...first, ...Array.from(out.subarray(0, 18))]);
      expect(all.size).toBe(50);
      expect(Math.max(...all)).toBe(49);
    });
  });

  test("batch counts are clamped to the array and to sane values", () => {
    withPool(64, (pool) => {
      const small = new Uint32Array(4);
      expect(pool.allocBatch(small, 10)).toBe(4);
      expect(pool.available).toBe(60);
      expect(pool.allocBatch(small, -3)).toBe(0);
      expect(pool.allocBatch(small, 0)).toBe(0);
      expect(pool.freeBatch(small, 10)).toBe(4);
      expect(pool.freeBatch(small, -1)).toBe(0);
      expect(pool.available).toBe(64);
    });
  });

  test("alloc/free cycles keep the pool whole", () => {
    withPool(64, (pool) => {
      const out = new Uint32Array(32);
      for (let round = 0; round < 100; round++) {
        const n = pool.allocBatch(out, 1 + (round % 32));
        expect(pool.freeBatch(out, n)).toBe(n);
      }
      expect(pool.available).toBe(64);
      const seen = new Set<number>();
      for (let k = 0; k < 64; k++) seen.add(pool.allocOne());
      expect(seen.size).toBe(64);
    });
  });

  test("fast pool does not check: a double free hands the same buffer out twice", () => {
    withPool(8, (pool) => {
      const i = pool.allocOne();
      expect(pool.allocOne()).toBe(i + 1);
      pool.freeOne(i);
      pool.freeOne(i);
      expect(pool.allocOne()).toBe(i);
      expect(pool.allocOne()).toBe(i);
      // Frees beyond capacity are dropped rather than growing the stack.
      const all = new Uint32Array(8);
      expect(pool.allocBatch(all, 8)).toBe(6);
      expect(pool.freeBatch(new Uint32Array(9), 9)).toBe(8);
      pool.freeOne(0);
      expect(pool.available).toBe(8);
    });
  });

  test("setup accessors reject bad indices", () => {
    withPool(8, (pool) => {
      expect(codeOf(() => pool.offset(8))).toBe("BAD_INDEX");
      expect(codeOf(() => pool.dmaAddress(-1))).toBe("BAD_INDEX");
      expect(codeOf(() => pool.dataAddress(1.5))).toBe("BAD_INDEX");
      expect(codeOf(() => pool.assertOwned(NO_BUFFER))).toBe("BAD_INDEX");
      expect(() => pool.assertOwned(3)).not.toThrow();
    });
  });
});

describe("close", () => {
  test("idempotent; closes owned memory once; empties the pool; later use throws CLOSED", () => {
    const memory = plainMemory(16 * 2048);
    const pool = Mempool.create({ memory, dma: { kind: "iova", base: 0 }, ownsMemory: true });
    const i = pool.allocOne();
    pool.close();
    pool.close();
    expect(memory.closes).toBe(1);
    expect(pool.isClosed).toBe(true);
    expect(pool.available).toBe(0);
    expect(pool.allocOne()).toBe(NO_BUFFER);
    expect(pool.allocBatch(new Uint32Array(4), 4)).toBe(0);
    pool.freeOne(i);
    expect(pool.freeBatch(new Uint32Array(4), 4)).toBe(0);
    expect(pool.available).toBe(0);
    expect(codeOf(() => pool.offset(i))).toBe("CLOSED");
    expect(codeOf(() => pool.dmaAddress(i))).toBe("CLOSED");
  });

  test("`using` closes the pool but leaves memory it does not own", () => {
    const memory = plainMemory(8 * 2048);
    let seen: Mempool | undefined;
    {
      using pool = Mempool.create({ memory, dma: { kind: "iova", base: 0 } });
      seen = pool;
    }
    expect(seen.isClosed).toBe(true);
    expect(memory.closes).toBe(0);
    memory.u8[0] = 1; // still mapped
    memory.close();
  });
});

describe("create validation", () => {
  test("TOO_SMALL, BAD_SIZE and BAD_ARGUMENT from create", () => {
    const memory = plainMemory(8 * 2048);
    try {
      const dma = { kind: "iova", base: 0 } as const;
      expect(codeOf(() => Mempool.create({ memory, dma, count: 9 }))).toBe("TOO_SMALL");
      expect(() => Mempool.create({ memory, dma, count: 9 })).toThrow(/holds 8 buffers/);
      expect(codeOf(() => Mempool.create({ memory, dma, bufferSize: 8192 }))).toBe("BAD_SIZE");
      expect(codeOf(() => Mempool.create({ memory, dma: { kind: "iova", base: -4096 } }))).toBe(
        "BAD_ARGUMENT",
      );
      // @ts-expect-error: a strategy is required
      expect(codeOf(() => Mempool.create({ memory }))).toBe("BAD_ARGUMENT");
      // @ts-expect-error: unknown strategy
      expect(codeOf(() => Mempool.create({ memory, dma: { kind: "virtual" } }))).toBe(
        "BAD_ARGUMENT",
      );
      const short = { ...memory, u8: memory.u8.subarray(0, 100) };
      expect(codeOf(() => Mempool.create({ memory: short, dma }))).toBe("BAD_ARGUMENT");
    } finally {
      memory.close();
    }
  });

  test("BAD_ADDRESS: an IOVA base that misaligns data starts", () => {
    const memory = plainMemory(8 * 2048);
    try {
      const err = codeOf(() =>
        Mempool.create({ memory, dma: { kind: "iova", base: 0x1000 + 32 } }),
      );
      expect(err).toBe("BAD_ADDRESS");
    } finally {
      memory.close();
    }
  });
});

describe("physical strategy checks (memory that lies)", () => {
  const u8 = new Uint8Array(8192);
  const fake = (phys: (off: number) => number): MempoolMemory => ({
    address: 0x7f0000000000,
    bytes: 8192,
    pageSize: 4096,
    u8,
    physicalAddress: phys,
  });

  test("discontiguous inside a page -> BAD_ADDRESS", () => {
    const memory = fake((off) => 0x100000 + off * 2);
    expect(codeOf(() => Mempool.create({ memory, dma: { kind: "physical" } }))).toBe("BAD_ADDRESS");
  });

  test("hidden PFN (0) -> BAD_ADDRESS; a throwing lookup is kept as cause", () => {
    expect(codeOf(() => Mempool.create({ memory: fake(() => 0), dma: { kind: "physical" } }))).toBe(
      "BAD_ADDRESS",
    );
    const boom = new Error("PFN hidden");
    let caught: unknown;
    try {
      Mempool.create({
        memory: fake(() => {
          throw boom;
        }),
        dma: { kind: "physical" },
      });
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(MempoolError);
    expect((caught as MempoolError).cause).toBe(boom);
    expect((caught as MempoolError).message).toContain("PFN hidden");
  });

  test("per-page physical addresses are used per buffer", () => {
    const pages = [0x3_0000_0000, 0x1000_0000];
    const memory = fake((off) => (pages[Math.floor(off / 4096)] as number) + (off % 4096));
    const pool = Mempool.create({ memory, dma: { kind: "physical" } });
    expect(pool.count).toBe(4);
    expect([0, 1, 2, 3].map((i) => pool.dmaAddress(i))).toEqual([
      0x3_0000_0080, 0x3_0000_0880, 0x1000_0080, 0x1000_0880,
    ]);
    expect(pool.dmaHi[1]).toBe(3);
    expect(pool.dmaLo[1]).toBe(0x880);
  });
});
