/*
 * Per-queue driver state kept in native memory that every thread of the process can see: the
 * software counters, the saved ring positions and the ring slot -> buffer table. A queue that
 * is handed to a Worker (handoff.ts) keeps this memory, so the main thread still reads its
 * counters and finds the ring positions where the Worker left them.
 */
import { constants as C, mmap, munmap, viewOf } from "@dataplane/sys";
import { IxgbeError } from "./errors.ts";

/** state[STATE_OWNER] (RX area of a queue pair): who drives the pair, one of OWNER_*. */
export const STATE_OWNER = 0;
/** state[STATE_POS0]: RX next / TX tail index, as of the last suspend(). */
export const STATE_POS0 = 1;
/** state[STATE_POS1]: RX in-chain flag / TX clean index, as of the last suspend(). */
export const STATE_POS1 = 2;
/** The main thread drives the queue pair. */
export const OWNER_MAIN = 0;
/** Exported for a Worker, not attached yet. */
export const OWNER_EXPORTED = 1;
/** Attached in a Worker, which drives it. */
export const OWNER_ATTACHED = 2;
/** The Worker detached: positions and pool free lists are published, main may take it back. */
export const OWNER_DETACHED = 3;

const COUNTER_BYTES = 32; // 4 float64 slots (RX uses 4, TX 3)
const STATE_BYTES = 32; // 8 u32 words
const HEADER_BYTES = COUNTER_BYTES + STATE_BYTES;

/** Views over one queue's area: [counters 32 B][state 32 B][slots size * 4 B]. */
export interface QueueArea {
  /** Native address of the area (what a Worker rebuilds the views from). */
  readonly address: number;
  /** Software counters (RX_* / TX_* slots). */
  readonly counters: Float64Array;
  /** STATE_* words. */
  readonly state: Uint32Array;
  /** Ring slot -> buffer index. */
  readonly slots: Uint32Array;
}

/** Bytes of one area for a ring of `size` descriptors (64-byte multiple). */
export const areaBytes = (size: number): number => HEADER_BYTES + Math.ceil((size * 4) / 64) * 64;

/** Builds the views of an area at `address` (made once, at setup or attach). */
export function areaAt(address: number, size: number): QueueArea {
  const buf = viewOf(address, areaBytes(size));
  return {
    address,
    counters: new Float64Array(buf, 0, 4),
    state: new Uint32Array(buf, COUNTER_BYTES, STATE_BYTES / 4),
    slots: new Uint32Array(buf, HEADER_BYTES, size),
  };
}

/** One anonymous shared mapping holding the areas of every queue of a device. */
export class QueueStateBlock {
  readonly rx: QueueArea[] = [];
  readonly tx: QueueArea[] = [];
  private address = 0;

  private constructor(private readonly bytes: number) {}

  /** Maps and zeroes the areas for rings of the given sizes. Throws NO_MEMORY. */
  static create(rxSizes: readonly number[], txSizes: readonly number[]): QueueStateBlock {
    const total = [...rxSizes, ...txSizes].reduce((s, n) => s + areaBytes(n), 0);
    const bytes = Math.max(4096, Math.ceil(total / 4096) * 4096);
    const block = new QueueStateBlock(bytes);
    try {
      block.address = mmap(bytes, C.PROT_READ | C.PROT_WRITE, C.MAP_SHARED | C.MAP_ANONYMOUS);
    } catch (cause) {
      throw new IxgbeError(
        "NO_MEMORY",
        `cannot map ${bytes} bytes for queue state: ${(cause as Error).message}`,
        { cause },
      );
    }
    let at = block.address;
    for (const n of rxSizes) {
      block.rx.push(areaAt(at, n));
      at += areaBytes(n);
    }
    for (const n of txSizes) {
      block.tx.push(areaAt(at, n));
      at += areaBytes(n);
    }
    return block;
  }

  /** Unmaps the areas. Idempotent; the views must not be used afterwards. */
  close(): void {
    if (this.address === 0) return;
    const a = this.address;
    this.address = 0;
    munmap(a, this.bytes);
  }
}
