/*
 * PCI configuration space through the sysfs `config` file: pread/pwrite of 1, 2 or 4
 * bytes, little-endian, naturally aligned. Setup-time only; each call opens the file so
 * no descriptor outlives it.
 */
import { close, constants, open, pread, pwrite } from "@dataplane/sys";
import { fileError, PciError } from "./errors.ts";
import { fileBytes } from "./sysfs.ts";

/** Access width in bytes. */
export type ConfigWidth = 1 | 2 | 4;

/** Config-space offset of the 16-bit Command register. */
export const CONFIG_COMMAND = 0x04;
/** Command bit 1, Memory Space Enable: the device answers accesses to its memory BARs. */
export const COMMAND_MEMORY_SPACE = 1 << 1;
/** Command bit 2, Bus Master Enable: the device may start DMA. */
export const COMMAND_BUS_MASTER = 1 << 2;

function checkAccess(path: string, offset: number, bytes: number): void {
  if (bytes !== 1 && bytes !== 2 && bytes !== 4) {
    throw new PciError("BAD_OFFSET", `config access width ${bytes} is not 1, 2 or 4 bytes`);
  }
  const size = fileBytes(path);
  if (size === null) {
    throw new PciError(
      "NOT_A_DEVICE_DIR",
      `${path} does not exist; is this a PCI device directory?`,
    );
  }
  if (!Number.isInteger(offset) || offset < 0 || offset + bytes > size || offset % bytes !== 0) {
    throw new PciError(
      "BAD_OFFSET",
      `config offset ${offset} (width ${bytes}) is outside 0..${size - bytes} or not a multiple of ${bytes} in ${path}`,
    );
  }
}

/** Reads `bytes` bytes of config space at `offset` from the file at `path`. */
export function readConfigFile(path: string, offset: number, bytes: ConfigWidth): number {
  checkAccess(path, offset, bytes);
  const buf = new Uint8Array(4);
  let fd = -1;
  try {
    fd = open(path, constants.O_RDONLY | constants.O_CLOEXEC);
    const got = pread(fd, buf, bytes, offset);
    if (got !== bytes) {
      throw new PciError("IO", `short read of ${path} at ${offset}: ${got} of ${bytes} bytes`);
    }
  } catch (e) {
    if (e instanceof PciError) throw e;
    throw fileError("reading config space", path, e);
  } finally {
    if (fd >= 0) close(fd);
  }
  const view = new DataView(buf.buffer);
  return bytes === 1
    ? view.getUint8(0)
    : bytes === 2
      ? view.getUint16(0, true)
      : view.getUint32(0, true);
}

/** Writes `value` (`bytes` bytes, little-endian) to config space at `offset`. */
export function writeConfigFile(
  path: string,
  offset: number,
  bytes: ConfigWidth,
  value: number,
): void {
  checkAccess(path, offset, bytes);
  const max = 2 ** (8 * bytes) - 1;
  if (!Number.isInteger(value) || value < 0 || value > max) {
    throw new PciError(
      "BAD_VALUE",
      `config value ${value} does not fit ${bytes} byte(s) (0..${max})`,
    );
  }
  const buf = new Uint8Array(4);
  const view = new DataView(buf.buffer);
  if (bytes === 1) view.setUint8(0, value);
  else if (bytes === 2) view.setUint16(0, value, true);
  else view.setUint32(0, value, true);
  let fd = -1;
  try {
    fd = open(path, constants.O_RDWR | constants.O_CLOEXEC);
    const put = pwrite(fd, buf, bytes, offset);
    if (put !== bytes) {
      throw new PciError("IO", `short write to ${path} at ${offset}: ${put} of ${bytes} bytes`);
    }
  } catch (e) {
    if (e instanceof PciError) throw e;
    throw fileError("writing config space", path, e);
  } finally {
    if (fd >= 0) close(fd);
  }
}
