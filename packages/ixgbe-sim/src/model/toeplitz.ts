/*
 * The Toeplitz hash RSS uses (82599 datasheet §7.1.2.8.1). For each set input bit, counted
 * from the most significant bit of the first byte, the 32 key bits starting at that position
 * are XORed into the result. The per-packet form uses a table of 256 precomputed XOR sums per
 * input byte position, rebuilt only when the key changes.
 */

/** Longest hash input: IPv6 source + destination + two ports. */
export const TOEPLITZ_MAX_INPUT = 36;
/** RSS key length in bytes (RSSRK0..9). */
export const RSS_KEY_BYTES = 40;

/** 32 key bits starting at bit `p` (bit 0 = MSB of key[0]). */
function keyWindow(key: Uint8Array, p: number): number {
  const byte = p >>> 3;
  const shift = p & 7;
  const w =
    (((key[byte] ?? 0) << 24) |
      ((key[byte + 1] ?? 0) << 16) |
      ((key[byte + 2] ?? 0) << 8) |
      (key[byte + 3] ?? 0)) >>>
    0;
  if (shift === 0) return w;
  return ((w << shift) | ((key[byte + 4] ?? 0) >>> (8 - shift))) >>> 0;
}

/**
 * Reference Toeplitz hash of `input` under a 40-byte `key`, bit by bit as the datasheet
 * describes it. Slow; for tests and setup.
 */
export function toeplitzHash(key: Uint8Array, input: Uint8Array): number {
  let hash = 0;
  for (let i = 0; i < input.length; i++) {
    const b = input[i];
    for (let j = 7; j >= 0; j--) {
      if ((b >>> j) & 1) hash ^= keyWindow(key, 8 * i + (7 - j));
    }
  }
  return hash >>> 0;
}

/**
 * Table-driven Toeplitz hash: `table[pos * 256 + byte]` is the XOR contribution of `byte` at
 * input position `pos`. A hash is then one lookup and one XOR per input byte.
 */
export class ToeplitzTable {
  /** 36 positions x 256 byte values. */
  readonly table = new Uint32Array(TOEPLITZ_MAX_INPUT * 256);
  /** The key the table was built from. */
  readonly key = new Uint8Array(RSS_KEY_BYTES);

  /** Rebuilds the table for `key` (40 bytes). About 75k simple operations: setup only. */
  setKey(key: Uint8Array): void {
    this.key.set(key.subarray(0, RSS_KEY_BYTES));
    const t = this.table;
    const window = new Uint32Array(8);
    for (let pos = 0; pos < TOEPLITZ_MAX_INPUT; pos++) {
      for (let j = 0; j < 8; j++) window[j] = keyWindow(this.key, 8 * pos + j);
      for (let b = 0; b < 256; b++) {
        let h = 0;
        for (let j = 0; j < 8; j++) if (b & (0x80 >>> j)) h ^= window[j];
        t[pos * 256 + b] = h >>> 0;
      }
    }
  }

  /** Loads the key from RSSRK0..9 as stored in BAR0 words starting at `word` (byte 4n in 7:0). */
  setKeyFromRegisters(bar: Uint32Array, word: number): void {
    const key = new Uint8Array(RSS_KEY_BYTES);
    for (let n = 0; n < 10; n++) {
      const v = bar[word + n];
      key[4 * n] = v & 0xff;
      key[4 * n + 1] = (v >>> 8) & 0xff;
      key[4 * n + 2] = (v >>> 16) & 0xff;
      key[4 * n + 3] = v >>> 24;
    }
    this.setKey(key);
  }

  /**
   * XOR contribution of `len` bytes of `buf` starting at `off`, placed at input position `pos`.
   * Callers XOR the pieces of a non-contiguous input (addresses, then ports). No allocation.
   */
  part(buf: Uint8Array, off: number, len: number, pos: number): number {
    const t = this.table;
    let h = 0;
    let p = pos << 8;
    for (let i = 0; i < len; i++) {
      h ^= t[p + buf[off + i]];
      p += 256;
    }
    return h;
  }
}
