import { describe, expect, test } from "bun:test";
import {
  DATA_ALIGN,
  isPowerOfTwo,
  type LayoutInput,
  MempoolError,
  mempoolBytes,
  planLayout,
} from "../src/index.ts";

const M2 = 2 << 20;

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    if (e instanceof MempoolError) return e.code;
    throw e;
  }
  return "no error";
}

describe("planLayout", () => {
  test("2048-byte buffers fill a page-aligned 2 MiB page from offset 0", () => {
    const l = planLayout({
      address: 0x7f0000000000,
      bytes: M2,
      pageSize: M2,
      bufferSize: 2048,
      headroom: 128,
    });
    expect(l).toEqual({
      start: 0,
      bufferSize: 2048,
      headroom: 128,
      dataRoom: 1920,
      count: 1024,
      fit: 1024,
    });
  });

  test("no buffer straddles a page and every data start is 64-byte aligned", () => {
    const cases: LayoutInput[] = [];
    for (const pageSize of [4096, M2]) {
      for (const bufferSize of [64, 256, 2048, 4096]) {
        for (const headroom of [0, 64, 128]) {
          if (bufferSize - headroom < 64) continue;
          // Unaligned starts (still 64-byte aligned): the layout must skip to a buffer boundary.
          for (const skew of [0, 64, 1024, 4032]) {
            cases.push({
              address: 0x7f0000000000 + skew,
              bytes: 3 * pageSize,
              pageSize,
              bufferSize,
              headroom,
            });
          }
        }
      }
    }
    const bad: string[] = [];
    for (const input of cases) {
      const l = planLayout(input);
      expect(l.start).toBeLessThan(input.bufferSize);
      expect(l.count).toBe(Math.floor((input.bytes - l.start) / input.bufferSize));
      for (let i = 0; i < l.count; i++) {
        const first = input.address + l.start + i * l.bufferSize;
        const last = first + l.bufferSize - 1;
        const straddles = Math.floor(first / input.pageSize) !== Math.floor(last / input.pageSize);
        const unaligned = (first + l.headroom) % DATA_ALIGN !== 0;
        const outside = last >= input.address + input.bytes;
        if (straddles || unaligned || outside) bad.push(`${JSON.stringify(input)} buffer ${i}`);
      }
    }
    expect(cases.length).toBe(80);
    expect(bad).toEqual([]);
  });

  test("BAD_SIZE: not a power of two, larger than the page, bad headroom, no data room", () => {
    const base = { address: 0, bytes: M2, pageSize: M2, headroom: 128 };
    expect(codeOf(() => planLayout({ ...base, bufferSize: 3000 }))).toBe("BAD_SIZE");
    expect(codeOf(() => planLayout({ ...base, bufferSize: 0 }))).toBe("BAD_SIZE");
    expect(
      codeOf(() => planLayout({ ...base, pageSize: 4096, bytes: 65536, bufferSize: 8192 })),
    ).toBe("BAD_SIZE");
    expect(codeOf(() => planLayout({ ...base, bufferSize: 2048, headroom: 100 }))).toBe("BAD_SIZE");
    expect(codeOf(() => planLayout({ ...base, bufferSize: 2048, headroom: -64 }))).toBe("BAD_SIZE");
    expect(codeOf(() => planLayout({ ...base, bufferSize: 128, headroom: 128 }))).toBe("BAD_SIZE");
    expect(() => planLayout({ ...base, bufferSize: 3000 })).toThrow(/3000 is not a power of two/);
  });

  test("TOO_SMALL says how many fit and how much memory the request needs", () => {
    const input = {
      address: 0,
      bytes: M2,
      pageSize: M2,
      bufferSize: 2048,
      headroom: 128,
      count: 1500,
    };
    expect(codeOf(() => planLayout(input))).toBe("TOO_SMALL");
    expect(() => planLayout(input)).toThrow(/holds 1024 buffers of 2048 B, 1500 asked/);
    expect(() => planLayout(input)).toThrow(/need 3072000 B \(2 pages of 2097152 B\)/);
    // Memory smaller than one buffer, no count given.
    expect(
      codeOf(() => planLayout({ ...input, bytes: 1024, pageSize: 4096, count: undefined })),
    ).toBe("TOO_SMALL");
  });

  test("BAD_ARGUMENT: count, page size, memory shape", () => {
    const base = { address: 0, bytes: M2, pageSize: M2, bufferSize: 2048, headroom: 128 };
    expect(codeOf(() => planLayout({ ...base, count: 0 }))).toBe("BAD_ARGUMENT");
    expect(codeOf(() => planLayout({ ...base, count: 1.5 }))).toBe("BAD_ARGUMENT");
    expect(codeOf(() => planLayout({ ...base, pageSize: 3 << 20 }))).toBe("BAD_ARGUMENT");
    expect(codeOf(() => planLayout({ ...base, pageSize: 1024 }))).toBe("BAD_ARGUMENT");
    expect(codeOf(() => planLayout({ ...base, bytes: 0 }))).toBe("BAD_ARGUMENT");
    expect(codeOf(() => planLayout({ ...base, address: -4096 }))).toBe("BAD_ARGUMENT");
    expect(planLayout({ ...base, count: 7 }).count).toBe(7);
  });
});

test("isPowerOfTwo handles values beyond 32 bits", () => {
  expect([1, 2, 64, 2048, 2 ** 30, 2 ** 31, 2 ** 40].every(isPowerOfTwo)).toBe(true);
  expect([0, -2, 3, 2047, 1.5, 2 ** 31 + 2, 2 ** 40 + 2 ** 20, Number.NaN].some(isPowerOfTwo)).toBe(
    false,
  );
});

test("mempoolBytes rounds up to whole pages", () => {
  expect(mempoolBytes(1024)).toBe(M2);
  expect(mempoolBytes(1025)).toBe(2 * M2);
  expect(mempoolBytes(3, 2048, 4096)).toBe(8192);
});
