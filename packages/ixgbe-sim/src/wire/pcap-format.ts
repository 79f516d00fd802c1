/*
 * The classic pcap file format (what tcpdump -w writes): a 24-byte file header, then per frame
 * a 16-byte record header (seconds, fraction, captured length, original length) and the bytes.
 * We write host-order (little-endian) files with the nanosecond magic 0xa1b23c4d and link type
 * 1 (Ethernet); we read both magics in either byte order. Reading checks every length against
 * the file's bounds before trusting it.
 */
import { readFileSync } from "node:fs";
import { IxgbeSimError } from "../errors.ts";

/** Magic of microsecond-resolution files. */
export const PCAP_MAGIC_US = 0xa1b2c3d4;
/** Magic of nanosecond-resolution files (the one we write). */
export const PCAP_MAGIC_NS = 0xa1b23c4d;
/** LINKTYPE_ETHERNET. */
export const LINKTYPE_ETHERNET = 1;
/** Bytes of the file header and of each record header. */
export const PCAP_FILE_HEADER = 24;
export const PCAP_RECORD_HEADER = 16;
/** Captured bytes per frame we write (larger frames are cut to this, original length kept). */
export const PCAP_SNAPLEN = 65535;
/** Largest captured length accepted when reading (tcpdump's own limit). */
const MAX_CAPLEN = 262144;

/** Writes the 24-byte file header into `dv` at 0. */
export function writeFileHeader(dv: DataView, snaplen = PCAP_SNAPLEN): void {
  dv.setUint32(0, PCAP_MAGIC_NS, true);
  dv.setUint16(4, 2, true); // version 2.4
  dv.setUint16(6, 4, true);
  dv.setInt32(8, 0, true); // thiszone: timestamps are UTC
  dv.setUint32(12, 0, true); // sigfigs
  dv.setUint32(16, snaplen, true);
  dv.setUint32(20, LINKTYPE_ETHERNET, true);
}

/** An indexed pcap file held in memory: frame i is bytes[offset[i] .. + length[i]). */
export interface PcapIndex {
  bytes: Uint8Array;
  /** True for nanosecond timestamps (magic 0xa1b23c4d), false for microseconds. */
  nanos: boolean;
  snaplen: number;
  count: number;
  offset: Float64Array;
  length: Uint32Array;
  originalLength: Uint32Array;
  /** Timestamp of each frame in ns since the epoch (as a double: exact to ~0.25 us today). */
  timeNs: Float64Array;
}

/** Parses and indexes pcap bytes. Throws IxgbeSimError BAD_PCAP naming what is wrong and where. */
export function indexPcap(bytes: Uint8Array, name: string): PcapIndex {
  const bad = (what: string) =>
    new IxgbeSimError("BAD_PCAP", `${name}: ${what}; expected a classic pcap file (tcpdump -w)`);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.byteLength < PCAP_FILE_HEADER) throw bad(`only ${bytes.byteLength} bytes long`);
  const magic = dv.getUint32(0, true);
  const swapped = dv.getUint32(0, false);
  let le: boolean;
  let nanos: boolean;
  if (magic === PCAP_MAGIC_US || magic === PCAP_MAGIC_NS) {
    le = true;
    nanos = magic === PCAP_MAGIC_NS;
  } else if (swapped === PCAP_MAGIC_US || swapped === PCAP_MAGIC_NS) {
    le = false;
    nanos = swapped === PCAP_MAGIC_NS;
  } else {
    throw bad(`magic 0x${magic.toString(16)} is not 0xa1b2c3d4 or 0xa1b23c4d (pcapng is not read)`);
  }
  const linktype = dv.getUint32(20, le) & 0x0fffffff; // upper bits carry FCS flags
  if (linktype !== LINKTYPE_ETHERNET) throw bad(`link type ${linktype}, only Ethernet (1) is read`);
  const snaplen = dv.getUint32(16, le);
  const offsets: number[] = [];
  for (let at = PCAP_FILE_HEADER; at < bytes.byteLength; ) {
    if (at + PCAP_RECORD_HEADER > bytes.byteLength) {
      throw bad(`record ${offsets.length} at byte ${at}: header cut short by the end of file`);
    }
    const caplen = dv.getUint32(at + 8, le);
    if (caplen > MAX_CAPLEN || at + PCAP_RECORD_HEADER + caplen > bytes.byteLength) {
      throw bad(
        `record ${offsets.length} at byte ${at}: captured length ${caplen} runs past the end`,
      );
    }
    offsets.push(at);
    at += PCAP_RECORD_HEADER + caplen;
  }
  const count = offsets.length;
  const index: PcapIndex = {
    bytes,
    nanos,
    snaplen,
    count,
    offset: new Float64Array(count),
    length: new Uint32Array(count),
    originalLength: new Uint32Array(count),
    timeNs: new Float64Array(count),
  };
  offsets.forEach((at, i) => {
    index.offset[i] = at + PCAP_RECORD_HEADER;
    index.length[i] = dv.getUint32(at + 8, le);
    index.originalLength[i] = dv.getUint32(at + 12, le);
    const frac = dv.getUint32(at + 4, le);
    index.timeNs[i] = dv.getUint32(at, le) * 1e9 + (nanos ? frac : frac * 1000);
  });
  return index;
}

/** Reads and indexes a pcap file (setup: reads the whole file into memory). */
export function readPcapFile(path: string): PcapIndex {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (cause) {
    throw new IxgbeSimError("PCAP_IO", `cannot read pcap file "${path}": ${String(cause)}`, {
      cause,
    });
  }
  return indexPcap(bytes, path);
}

/** The frames of a pcap index as separate views (for tests and tools, not the hot path). */
export function pcapFrames(index: PcapIndex): Uint8Array[] {
  return Array.from({ length: index.count }, (_, i) => {
    const at = index.offset[i] as number;
    return index.bytes.subarray(at, at + (index.length[i] as number));
  });
}
