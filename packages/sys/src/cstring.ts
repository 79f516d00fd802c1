/* NUL-terminated strings for libc arguments. */
const encoder = new TextEncoder();

/** Encodes `s` as UTF-8 with a trailing NUL, ready to pass as a `const char *`. */
export function cstr(s: string): Uint8Array {
  return encoder.encode(`${s}\0`);
}
