/*
 * vfio-user wire basics shared by the client and the server: command numbers, header layout,
 * flag bits and 64-bit field helpers. All integers are little-endian (host order on x86-64).
 * Payload layouts live in payloads.ts.
 */

/** Command numbers (header `cmd`). */
export const Cmd = {
  VERSION: 1,
  DMA_MAP: 2,
  DMA_UNMAP: 3,
  DEVICE_GET_INFO: 4,
  DEVICE_GET_REGION_INFO: 5,
  DEVICE_GET_REGION_IO_FDS: 6,
  DEVICE_GET_IRQ_INFO: 7,
  DEVICE_SET_IRQS: 8,
  REGION_READ: 9,
  REGION_WRITE: 10,
  DMA_READ: 11,
  DMA_WRITE: 12,
  DEVICE_RESET: 13,
} as const;

/** The 16-byte header: msg_id u16 @0, cmd u16 @2, msg_size u32 @4, flags u32 @8, error_no u32 @12. */
export const HEADER_SIZE = 16;
/** flags bits 0-3: message type. */
export const FLAG_TYPE_MASK = 0xf;
export const TYPE_COMMAND = 0;
export const TYPE_REPLY = 1;
/** flags bit 4: the sender wants no reply. */
export const FLAG_NO_REPLY = 0x10;
/** flags bit 5: an error reply; error_no holds a positive errno. */
export const FLAG_ERROR = 0x20;

/** The protocol version we speak (libvfio-user's; majors must match, minor is negotiated down). */
export const VERSION_MAJOR = 0;
export const VERSION_MINOR = 2;

/** Defaults when the peer's VERSION JSON omits a capability. */
export const DEFAULT_MAX_MSG_FDS = 1;
export const DEFAULT_MAX_DATA_XFER = 1 << 20;

/** VFIO flag values reused on the wire (linux/vfio.h). */
export const DEVICE_FLAGS_RESET = 0x1;
export const DEVICE_FLAGS_PCI = 0x2;
export const REGION_FLAG_READ = 0x1;
export const REGION_FLAG_WRITE = 0x2;
export const REGION_FLAG_MMAP = 0x4;
export const REGION_FLAG_CAPS = 0x8;
export const CAP_SPARSE_MMAP = 1;
export const IRQ_INFO_EVENTFD = 0x1;
export const IRQ_SET_DATA_NONE = 0x1;
export const IRQ_SET_DATA_BOOL = 0x2;
export const IRQ_SET_DATA_EVENTFD = 0x4;
export const IRQ_SET_DATA_MASK = 0x7;
export const IRQ_SET_ACTION_MASK = 0x8;
export const IRQ_SET_ACTION_UNMASK = 0x10;
export const IRQ_SET_ACTION_TRIGGER = 0x20;
export const IRQ_SET_ACTION_BITS = 0x38;
export const DMA_MAP_FLAG_READ = 0x1;
export const DMA_MAP_FLAG_WRITE = 0x2;
export const DMA_UNMAP_FLAG_ALL = 0x2;
/** VFIO PCI layout: regions 0-8 (BAR0-5, ROM, config, VGA), IRQ indexes 0-4. */
export const NUM_REGIONS = 9;
export const NUM_IRQS = 5;

const TWO_32 = 4294967296;

/** A decoded header. */
export interface Header {
  id: number;
  cmd: number;
  size: number;
  flags: number;
  errno: number;
}

/** Writes a header at byte 0 of `dv`. */
export function writeHeader(
  dv: DataView,
  id: number,
  cmd: number,
  size: number,
  flags: number,
  errno = 0,
): void {
  dv.setUint16(0, id, true);
  dv.setUint16(2, cmd, true);
  dv.setUint32(4, size, true);
  dv.setUint32(8, flags, true);
  dv.setUint32(12, errno, true);
}

/** Reads the header at byte 0 of `dv` (at least 16 bytes long). */
export function readHeader(dv: DataView): Header {
  return {
    id: dv.getUint16(0, true),
    cmd: dv.getUint16(2, true),
    size: dv.getUint32(4, true),
    flags: dv.getUint32(8, true),
    errno: dv.getUint32(12, true),
  };
}

/**
 * Reads a u64 as a number. Exact below 2^53; larger values come back as NaN so that callers'
 * range checks reject them instead of computing with a rounded value.
 */
export function getU64(dv: DataView, offset: number): number {
  const lo = dv.getUint32(offset, true);
  const hi = dv.getUint32(offset + 4, true);
  return hi >= 0x200000 ? Number.NaN : hi * TWO_32 + lo;
}

/** Writes a non-negative integer below 2^53 as a u64 (two 32-bit halves, low word first). */
export function setU64(dv: DataView, offset: number, value: number): void {
  dv.setUint32(offset, value >>> 0, true);
  dv.setUint32(offset + 4, Math.floor(value / TWO_32) >>> 0, true);
}

/** Builds a whole message (header + payload) ready for one sendmsg. */
export function encodeMessage(
  id: number,
  cmd: number,
  flags: number,
  payload: Uint8Array,
  errno = 0,
): Uint8Array {
  const msg = new Uint8Array(HEADER_SIZE + payload.length);
  writeHeader(new DataView(msg.buffer), id, cmd, msg.length, flags, errno);
  msg.set(payload, HEADER_SIZE);
  return msg;
}

/** A header-only error reply to command `cmd` with id `id`. */
export function encodeErrorReply(id: number, cmd: number, errno: number): Uint8Array {
  return encodeMessage(id, cmd, TYPE_REPLY | FLAG_ERROR, new Uint8Array(0), errno);
}

/** Name of a command number, for messages. */
export function cmdName(cmd: number): string {
  for (const [name, value] of Object.entries(Cmd)) if (value === cmd) return name;
  return `command ${cmd}`;
}
