/*
 * Buffer layout arithmetic: where buffer i starts, where its data starts, how many fit.
 * Pure functions of (address, bytes, pageSize, bufferSize, headroom, count); no memory touched.
 */
import { MempoolError } from "./errors.ts";

/** Default buffer size in bytes: one standard Ethernet frame plus headroom, as in ixy. */
export const DEFAULT_BUFFER_SIZE = 2048;
/**
 * Default headroom in bytes between a buffer's start and its data (DPDK's choice). Leaves
 * room to prepend headers (VLAN, tunnels) without a copy, and 1920 bytes of data room in a
 * 2048-byte buffer: more than a 1522-byte VLAN-tagged frame with its CRC.
 */
export const DEFAULT_HEADROOM = 128;
/** Data starts are aligned to this many bytes (one cache line; what the 82599 expects). */
export const DATA_ALIGN = 64;
/** The smallest data room accepted, in bytes: a minimum Ethernet frame with its CRC. */
export const MIN_DATA_ROOM = 64;
/** The largest buffer count: one less than NO_BUFFER. */
export const MAX_COUNT = 0xfffffffe;
const FOUR_GIB = 2 ** 32;

/** What the layout needs to know about the memory and the caller's wishes. */
export interface LayoutInput {
  /** Virtual address of the memory's first byte. */
  readonly address: number;
  /** Usable bytes from `address`. */
  readonly bytes: number;
  /** Page size in bytes: a power of two. Buffers never cross a multiple of it. */
  readonly pageSize: number;
  readonly bufferSize: number;
  readonly headroom: number;
  /** Buffers wanted; undefined means as many as fit. */
  readonly count?: number;
}

/** Where the buffers are. Buffer i occupies [start + i * bufferSize, + bufferSize). */
export interface Layout {
  /** Byte offset of buffer 0 from the memory's start (skips up to the first aligned address). */
  readonly start: number;
  readonly bufferSize: number;
  readonly headroom: number;
  /** Bytes a buffer can hold from its data start: bufferSize - headroom. */
  readonly dataRoom: number;
  readonly count: number;
  /** How many buffers the memory could hold with this layout. */
  readonly fit: number;
}

/** True for 1, 2, 4, 8, ... (integers only). */
export function isPowerOfTwo(n: number): boolean {
  if (!Number.isInteger(n) || n < 1) return false;
  // Bitwise operators see 32 bits only: halve larger values until they fit.
  return n <= 0x40000000 ? (n & (n - 1)) === 0 : isPowerOfTwo(n / 2);
}

/**
 * Bytes of memory to allocate for `count` buffers of `bufferSize` bytes when the memory is
 * page-aligned, rounded up to whole pages of `pageSize` bytes.
 */
export function mempoolBytes(
  count: number,
  bufferSize = DEFAULT_BUFFER_SIZE,
  pageSize = 2 << 20,
): number {
  return Math.ceil((count * bufferSize) / pageSize) * pageSize;
}

/** Checks sizes and works out the layout. Throws MempoolError with what to change. */
export function planLayout(input: LayoutInput): Layout {
  const { address, bytes, pageSize, bufferSize, headroom } = input;
  checkMemoryShape(address, bytes, pageSize);
  checkSizes(bufferSize, headroom, pageSize);
  // A power-of-two buffer aligned to its own size never crosses a page boundary, because
  // every page boundary is a multiple of the (larger or equal, power-of-two) buffer size.
  // That is what keeps each buffer physically contiguous on any page size.
  const start = (bufferSize - (address % bufferSize)) % bufferSize;
  const fit = bytes > start ? Math.min(Math.floor((bytes - start) / bufferSize), MAX_COUNT) : 0;
  const count = input.count ?? fit;
  if (!Number.isInteger(count) || count < 1 || count > MAX_COUNT) {
    if (input.count === undefined) throw tooSmall(1, fit, input, start);
    throw new MempoolError(
      "BAD_ARGUMENT",
      `count ${input.count} is not an integer in 1..${MAX_COUNT}; pass the number of buffers wanted, or omit it to fill the memory`,
    );
  }
  if (count > fit) throw tooSmall(count, fit, input, start);
  if (start + count * bufferSize > FOUR_GIB) {
    throw new MempoolError(
      "BAD_ARGUMENT",
      `${count} buffers of ${bufferSize} B span more than 4 GiB; data offsets are u32, so split them over several pools`,
    );
  }
  return { start, bufferSize, headroom, dataRoom: bufferSize - headroom, count, fit };
}

function checkMemoryShape(address: number, bytes: number, pageSize: number): void {
  if (!Number.isSafeInteger(address) || address < 0) {
    throw new MempoolError("BAD_ARGUMENT", `memory.address ${address} is not a valid address`);
  }
  if (!Number.isSafeInteger(bytes) || bytes <= 0) {
    throw new MempoolError("BAD_ARGUMENT", `memory.bytes ${bytes} must be a positive integer`);
  }
  if (!isPowerOfTwo(pageSize) || pageSize < 4096) {
    throw new MempoolError(
      "BAD_ARGUMENT",
      `memory.pageSize ${pageSize} must be a power of two >= 4096 (e.g. 2097152 for 2 MiB hugepages)`,
    );
  }
}

function checkSizes(bufferSize: number, headroom: number, pageSize: number): void {
  if (!isPowerOfTwo(bufferSize)) {
    throw new MempoolError(
      "BAD_SIZE",
      `buffer size ${bufferSize} is not a power of two; use ${DEFAULT_BUFFER_SIZE} (or 4096 for larger frames)`,
    );
  }
  if (bufferSize > pageSize) {
    throw new MempoolError(
      "BAD_SIZE",
      `buffer size ${bufferSize} is larger than the ${pageSize}-byte page, so a buffer would not be physically contiguous; use at most ${pageSize} or bigger pages`,
    );
  }
  if (!Number.isInteger(headroom) || headroom < 0 || headroom % DATA_ALIGN !== 0) {
    throw new MempoolError(
      "BAD_SIZE",
      `headroom ${headroom} must be a non-negative multiple of ${DATA_ALIGN} so data starts stay ${DATA_ALIGN}-byte aligned; use ${DEFAULT_HEADROOM}`,
    );
  }
  if (bufferSize - headroom < MIN_DATA_ROOM) {
    throw new MempoolError(
      "BAD_SIZE",
      `buffer size ${bufferSize} is too small for headroom ${headroom}: it leaves ${bufferSize - headroom} bytes of data room, need at least ${MIN_DATA_ROOM}; use a buffer size of at least ${headroom + MIN_DATA_ROOM} rounded up to a power of two`,
    );
  }
}

function tooSmall(count: number, fit: number, input: LayoutInput, start: number): MempoolError {
  const need = start + count * input.bufferSize;
  const pages = Math.ceil(need / input.pageSize);
  return new MempoolError(
    "TOO_SMALL",
    `memory of ${input.bytes} B holds ${fit} buffers of ${input.bufferSize} B, ${count} asked; ` +
      `they need ${need} B (${pages} pages of ${input.pageSize} B): allocate more memory or ask for at most ${fit}`,
  );
}
