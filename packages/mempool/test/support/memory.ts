/*
 * Memory for tests and benches made straight from @dataplane/sys (plain 4 KiB-page mappings),
 * and an independent /proc/self/pagemap reader to check physical DMA addresses against.
 */

import * as sys from "@dataplane/sys";
import type { MempoolMemory } from "../../src/index.ts";

const K = sys.constants;
export const HUGE_2M = 2 << 20;
const SMALL_PAGE = 4096;

/** MempoolMemory plus close() (munmap, idempotent, also via `using`) and a count of closes. */
export interface TestMemory extends MempoolMemory {
  close(): void;
  readonly closes: number;
  [Symbol.dispose](): void;
}

function wrap(address: number, bytes: number, pageSize: number, pages: number[]): TestMemory {
  let closes = 0;
  return {
    address,
    bytes,
    pageSize,
    u8: new Uint8Array(sys.viewOf(address, bytes)),
    physicalAddress(offset: number): number {
      const head = pages[Math.floor(offset / pageSize)];
      if (head === undefined) throw new RangeError(`offset ${offset} outside ${bytes} bytes`);
      return head + (offset % pageSize);
    },
    close(): void {
      if (closes++ === 0) sys.munmap(address, bytes);
    },
    get closes() {
      return closes;
    },
    [Symbol.dispose](): void {
      this.close();
    },
  };
}

/** Physical address of each 4 KiB page in [address, address + bytes), one pread for all. */
export function pagemapPhysical(address: number, bytes: number): number[] {
  const n = Math.ceil(bytes / SMALL_PAGE);
  const raw = new Uint32Array(n * 2);
  const fd = sys.open("/proc/self/pagemap", K.O_RDONLY);
  try {
    sys.pread(fd, raw, raw.byteLength, (address / SMALL_PAGE) * 8);
  } finally {
    sys.close(fd);
  }
  const out: number[] = [];
  for (let p = 0; p < n; p++) {
    const lo = raw[2 * p] as number;
    const hi = raw[2 * p + 1] as number;
    const pfn = (hi & 0x7fffff) * 2 ** 32 + lo; // PFN: bits 54:0
    if (hi >>> 31 === 0 || pfn === 0) {
      throw new Error(`page at 0x${(address + p * SMALL_PAGE).toString(16)} has no PFN (root?)`);
    }
    out.push(pfn * SMALL_PAGE);
  }
  return out;
}

/** Ordinary anonymous memory on 4 KiB pages (for IOVA pools: no physical addresses). */
export function plainMemory(bytes: number): TestMemory {
  const flags = K.MAP_PRIVATE | K.MAP_ANONYMOUS | K.MAP_POPULATE;
  const address = sys.mmap(bytes, K.PROT_READ | K.PROT_WRITE, flags);
  return wrap(address, bytes, SMALL_PAGE, []);
}
