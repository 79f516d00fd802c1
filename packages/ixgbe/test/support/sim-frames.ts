/*
 * Frames in the simulator generator's format (Ethernet + IPv4 + UDP + stamp + pattern), built
 * by the tests themselves so they know every byte, and the sink on the other side still checks
 * sequence and checksum. Plus helpers to move frames in and out of driver buffers.
 */
import {
  buildTemplate,
  OFF_CSUM,
  OFF_SEQ,
  putU32,
  stampChecksum,
} from "../../../ixgbe-sim/src/wire/frame.ts";
import type { BufferPool } from "../../src/index.ts";

/** Generator id stamped into test frames (no simulator generator uses it). */
export const TEST_GEN_ID = 77;
const SRC_MAC = Uint8Array.of(0x02, 0xe2, 0xe0, 0, 0, 1);
const BROADCAST = Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0xff, 0xff);

/** A size from 60 to 1514 that changes with `seq`, so buffers see every length class. */
export const sizeFor = (seq: number): number => 60 + ((seq * 397) % 1455);

/** Frame `seq` of flow `flow`: stamped, checksummed, `size` bytes without FCS. */
export function testFrame(seq: number, size = sizeFor(seq), flow = 0): Uint8Array {
  const f = buildTemplate({ size, dstMac: BROADCAST, srcMac: SRC_MAC, genId: TEST_GEN_ID, flow });
  putU32(f, OFF_SEQ, seq >>> 0);
  putU32(f, OFF_CSUM, stampChecksum(f, 0, size));
  return f;
}

/** The frame in buffer `b` of `pool` (a view; valid until the buffer is reused). */
export const frameIn = (pool: BufferPool, b: number): Uint8Array =>
  pool.u8.subarray(
    pool.dataOffset[b] as number,
    (pool.dataOffset[b] as number) + (pool.len[b] as number),
  );

/** Copies `frame` into buffer `b` and sets its length. */
export function putFrame(pool: BufferPool, b: number, frame: Uint8Array): void {
  pool.u8.set(frame, pool.dataOffset[b] as number);
  pool.len[b] = frame.length;
}

/** Sequence number of a received test frame. */
export const seqOf = (f: Uint8Array): number =>
  (((f[OFF_SEQ] as number) << 24) |
    ((f[OFF_SEQ + 1] as number) << 16) |
    ((f[OFF_SEQ + 2] as number) << 8) |
    (f[OFF_SEQ + 3] as number)) >>>
  0;

/** First index where a and b differ, or -1 when equal (lengths included). */
export function firstDifference(a: Uint8Array, b: Uint8Array): number {
  if (a.length !== b.length) return Math.min(a.length, b.length);
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return i;
  return -1;
}
