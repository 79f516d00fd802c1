import { describe, expect, test } from "bun:test";
import { DebugMempool, Mempool, MempoolError, NO_BUFFER, POISON } from "../src/index.ts";
import { plainMemory, type TestMemory } from "./support/memory.ts";

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    if (e instanceof MempoolError) return e.code;
    throw e;
  }
  return "no error";
}

function withDebugPool(count: number, fn: (pool: Mempool, memory: TestMemory) => void): void {
  const memory = plainMemory(count * 2048);
  try {
    using pool = Mempool.create({ memory, dma: { kind: "iova", base: 0 }, debug: true });
    fn(pool, memory);
  } finally {
    memory.close();
  }
}

describe("debug pool", () => {
  test("is a DebugMempool; the default pool is not", () => {
    withDebugPool(4, (pool, memory) => {
      expect(pool).toBeInstanceOf(DebugMempool);
      expect(pool.debug).toBe(true);
      using fast = Mempool.create({ memory, dma: { kind: "iova", base: 0 } });
      expect(fast).not.toBeInstanceOf(DebugMempool);
      expect(fast.debug).toBe(false);
    });
  });

  test("free buffers hold poison (headroom and data); alloc/free still work", () => {
    withDebugPool(8, (pool) => {
      for (let i = 0; i < 8; i++) {
        const first = ((pool.dataOffset[i] as number) - pool.headroom) >>> 2;
        expect(pool.u32[first]).toBe(POISON);
        expect(pool.u32[first + 511]).toBe(POISON);
      }
      const out = new Uint32Array(8);
      expect(pool.allocBatch(out, 8)).toBe(8);
      expect(pool.allocOne()).toBe(NO_BUFFER);
      expect(pool.freeBatch(out, 8)).toBe(8);
      expect(pool.available).toBe(8);
    });
  });

  test("DOUBLE_FREE: twice, a never-allocated buffer, and a duplicate inside one batch", () => {
    withDebugPool(8, (pool) => {
      const i = pool.allocOne();
      pool.freeOne(i);
      expect(codeOf(() => pool.freeOne(i))).toBe("DOUBLE_FREE");
      expect(codeOf(() => pool.freeOne(5))).toBe("DOUBLE_FREE");
      const out = new Uint32Array(3);
      expect(pool.allocBatch(out, 3)).toBe(3);
      const before = pool.available;
      const dup = new Uint32Array([out[0] as number, out[1] as number, out[0] as number]);
      expect(codeOf(() => pool.freeBatch(dup, 3))).toBe("DOUBLE_FREE");
      expect(pool.available).toBe(before + 2); // entries before the bad one were freed
      expect(() => pool.freeOne(out[2] as number)).not.toThrow();
      expect(pool.available).toBe(8);
    });
  });

  test("BAD_INDEX: out of range, negative, fractional, NO_BUFFER", () => {
    withDebugPool(8, (pool) => {
      pool.allocOne();
      for (const bad of [8, -1, 1.5, NO_BUFFER]) {
        expect(codeOf(() => pool.freeOne(bad))).toBe("BAD_INDEX");
      }
      expect(codeOf(() => pool.freeBatch(new Uint32Array([100]), 1))).toBe("BAD_INDEX");
      expect(pool.available).toBe(7);
    });
  });

  test("USE_AFTER_FREE: a write into a free buffer is caught when it is handed out again", () => {
    withDebugPool(8, (pool) => {
      const i = pool.allocOne();
      pool.u8.fill(0xee, pool.offset(i), pool.offset(i) + 64); // the owner may write
      pool.freeOne(i);
      pool.u8[pool.offset(i) + 100] = 0x42; // stale write after free
      let caught: unknown;
      try {
        pool.allocOne();
      } catch (e) {
        caught = e;
      }
      expect((caught as MempoolError).code).toBe("USE_AFTER_FREE");
      expect((caught as MempoolError).message).toContain(`buffer ${i} was written while free`);
      expect((caught as MempoolError).message).toContain(`byte ${pool.headroom + 100}`);
      // The corrupted buffer is quarantined: the pool goes on with the others.
      expect(pool.available).toBe(7);
      const seen = new Set<number>();
      for (let k = 0; k < 7; k++) seen.add(pool.allocOne());
      expect(seen.has(i)).toBe(false);
      expect(pool.allocOne()).toBe(NO_BUFFER);
      expect(codeOf(() => pool.freeOne(i))).toBe("DOUBLE_FREE");
    });
  });

  test("assertOwned: owned passes, free throws USE_AFTER_FREE; fast pools check range only", () => {
    withDebugPool(8, (pool, memory) => {
      const i = pool.allocOne();
      expect(() => pool.assertOwned(i)).not.toThrow();
      pool.freeOne(i);
      expect(codeOf(() => pool.assertOwned(i))).toBe("USE_AFTER_FREE");
      expect(codeOf(() => pool.assertOwned(9))).toBe("BAD_INDEX");
      using fast = Mempool.create({ memory, dma: { kind: "iova", base: 0 } });
      expect(() => fast.assertOwned(3)).not.toThrow();
      expect(codeOf(() => fast.assertOwned(8))).toBe("BAD_INDEX");
    });
  });

  test("same calls give the same indices as the fast pool", () => {
    const memory = plainMemory(64 * 2048);
    try {
      const dma = { kind: "iova", base: 0 } as const;
      using fast = Mempool.create({ memory, dma });
      using debug = Mempool.create({ memory, dma, debug: true });
      const trace = (pool: Mempool): number[] => {
        const got: number[] = [];
        const out = new Uint32Array(32);
        for (let round = 0; round < 40; round++) {
          const n = pool.allocBatch(out, 1 + ((round * 7) % 32));
          got.push(n, ...out.subarray(0, n), pool.allocOne());
          pool.freeBatch(out, n >> 1);
          if (round % 3 === 0) pool.freeBatch(out.subarray(n >> 1), n - (n >> 1));
        }
        return got;
      };
      expect(trace(debug)).toEqual(trace(fast));
    } finally {
      memory.close();
    }
  });

  test("allocation resets len; CLOSED after close", () => {
    withDebugPool(4, (pool) => {
      const i = pool.allocOne();
      pool.len[i] = 1500;
      pool.freeOne(i);
      expect(pool.allocOne()).toBe(i);
      expect(pool.len[i]).toBe(0);
      pool.close();
      expect(codeOf(() => pool.allocOne())).toBe("CLOSED");
      expect(codeOf(() => pool.freeOne(i))).toBe("CLOSED");
      expect(codeOf(() => pool.allocBatch(new Uint32Array(1), 1))).toBe("CLOSED");
      expect(codeOf(() => pool.freeBatch(new Uint32Array(1), 1))).toBe("CLOSED");
      expect(codeOf(() => pool.assertOwned(i))).toBe("CLOSED");
    });
  });
});
