/* IxgbeError: the one error class of the driver, with a string code and an actionable message. */

/**
 * Why the driver refused or failed. Setup methods throw these; the hot path never throws.
 * - UNSUPPORTED_DEVICE: vendor/device id is not an 82599-family part.
 * - BAD_SPEC: the device spec string could not be parsed.
 * - BAD_CONFIG: an option is out of range (queue count, ring size, RSS key/table).
 * - INIT_TIMEOUT: reset, EEPROM auto-read or DMA init did not finish in time.
 * - LINK_TIMEOUT: the link did not come up in time.
 * - QUEUE_TIMEOUT: RXDCTL/TXDCTL.ENABLE did not read back as requested.
 * - DEVICE_FAULT: the device or its back-end misbehaved (open, map, DMA, IRQ setup).
 * - DEVICE_BUSY: another process drives the device (its sysfs lock is held).
 * - NO_MEMORY: DMA memory for rings or buffers could not be allocated.
 * - CLOSED: the device was used after close().
 * - HANDED_OFF: the queue is driven by a Worker (exportQueue); reclaimQueue() it first.
 */
export type IxgbeErrorCode =
  | "UNSUPPORTED_DEVICE"
  | "BAD_SPEC"
  | "BAD_CONFIG"
  | "INIT_TIMEOUT"
  | "LINK_TIMEOUT"
  | "QUEUE_TIMEOUT"
  | "DEVICE_FAULT"
  | "DEVICE_BUSY"
  | "NO_MEMORY"
  | "CLOSED"
  | "HANDED_OFF";

/** A driver operation failed. `code` says why; the message says what was found and what to do. */
export class IxgbeError extends Error {
  constructor(
    readonly code: IxgbeErrorCode,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = "IxgbeError";
  }
}

/** Formats a register value as 0x-prefixed 8-digit hex for messages. */
export const hex32 = (v: number): string => `0x${(v >>> 0).toString(16).padStart(8, "0")}`;
