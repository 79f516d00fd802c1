/* DmaPoolError: every failure of @dataplane/dmapool, with a code and a message that says the fix. */

/** What went wrong, for callers that branch on it. */
export type DmaPoolErrorCode =
  | "BAD_ARGUMENT" // block size, alignment, boundary, memory or strategy unusable
  | "TOO_SMALL" // the memory holds no block with these constraints
  | "BAD_BLOCK" // an index that is not a block of this pool, or a block freed twice
  | "CLOSED"; // used after close()

/** A failed pool operation. */
export class DmaPoolError extends Error {
  constructor(
    readonly code: DmaPoolErrorCode,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = "DmaPoolError";
  }
}
