/*
 * Ethernet FCS (CRC-32, reflected polynomial 0xEDB88320). Wires carry frames without FCS, so
 * the model computes one only when the host asked to keep it (RX CRC stripping off).
 */

const TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

/** CRC-32 of buf[off .. off+len) as the FCS value (transmitted least significant byte first). */
export function crc32(buf: Uint8Array, off: number, len: number): number {
  let c = 0xffffffff;
  for (let i = off; i < off + len; i++) c = TABLE[(c ^ buf[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** Writes the FCS of buf[0..len) after the frame, at buf[len..len+4). */
export function appendFcs(buf: Uint8Array, len: number): void {
  const c = crc32(buf, 0, len);
  buf[len] = c & 0xff;
  buf[len + 1] = (c >>> 8) & 0xff;
  buf[len + 2] = (c >>> 16) & 0xff;
  buf[len + 3] = c >>> 24;
}
