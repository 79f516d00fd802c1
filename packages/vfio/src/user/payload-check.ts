/* Bounds-checking helpers shared by the vfio-user payload decoders and encoders. */
import { VfioError } from "../errors.ts";

/** Throws VfioError("PROTOCOL") for a malformed payload, naming what was wrong. */
export function bad(what: string): never {
  throw new VfioError("PROTOCOL", `malformed vfio-user payload: ${what}`);
}

/** A DataView over `p` after checking it holds at least `bytes` bytes. */
export function need(p: Uint8Array, bytes: number, what: string): DataView {
  if (p.length < bytes) bad(`${what} needs ${bytes} bytes, got ${p.length}`);
  return new DataView(p.buffer, p.byteOffset, p.length);
}

/** Little-endian u32 values as bytes. */
export function u32s(values: readonly number[]): Uint8Array {
  const out = new Uint8Array(4 * values.length);
  const dv = new DataView(out.buffer);
  for (let i = 0; i < values.length; i++) dv.setUint32(4 * i, values[i] as number, true);
  return out;
}
