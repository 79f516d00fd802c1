/* VfioError: one error class for both backends, with a code and an actionable message. */

/** What went wrong, for callers that branch on it (README "Errors" lists when each occurs). */
export type VfioErrorCode =
  | "NO_VFIO" // /dev/vfio missing or unusable
  | "NO_IOMMU_GROUP"
  | "GROUP_NOT_VIABLE"
  | "BAD_ARGUMENT"
  | "PROTOCOL" // a malformed or unexpected vfio-user message
  | "REMOTE" // the server answered with an error reply
  | "TIMEOUT"
  | "DISCONNECTED"
  | "DMA" // DMA map/unmap refused or out of range
  | "BUSY" // the device is in use by another client (vfio-user EBUSY, as kernel VFIO's second open)
  | "CLOSED";

/**
 * A failed VFIO or vfio-user operation. The message says what was wrong and what to do; `cause`
 * keeps the SysError (or the server's errno) when there was one.
 */
export class VfioError extends Error {
  constructor(
    readonly code: VfioErrorCode,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = "VfioError";
  }
}
