/* MempoolError: one error class for the package, with a string code and an actionable message. */

/**
 * Why a pool refused something. Setup codes: BAD_SIZE, TOO_SMALL, BAD_ADDRESS, BAD_ARGUMENT.
 * Debug-mode codes (thrown from alloc/free only when the pool was made with `debug: true`):
 * DOUBLE_FREE, BAD_INDEX, USE_AFTER_FREE. CLOSED: the pool was used after close().
 */
export type MempoolErrorCode =
  | "BAD_SIZE" // buffer size or headroom unusable (not a power of two, too small, > page)
  | "TOO_SMALL" // the memory holds fewer buffers than asked for
  | "BAD_ADDRESS" // the DMA strategy produced an unusable device address
  | "BAD_ARGUMENT" // any other option out of range (count, memory shape, iova base)
  | "DOUBLE_FREE"
  | "BAD_INDEX"
  | "USE_AFTER_FREE"
  | "CLOSED";

/** A mempool operation failed. `code` says why; the message says what to change. */
export class MempoolError extends Error {
  constructor(
    readonly code: MempoolErrorCode,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = "MempoolError";
  }
}
