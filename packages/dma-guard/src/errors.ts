/* DmaGuardError: every failure of @dataplane/dma-guard, with a code and a message that says the fix. */

/** What went wrong, for callers that branch on it. */
export type DmaGuardErrorCode =
  | "BAD_ARGUMENT" // a device spec, stop hook or memory the guardian cannot use
  | "NO_DEVICE" // the device directory, its config or resource0 cannot be opened
  | "START_FAILED" // the guardian process did not come up
  | "HOLD_FAILED" // the guardian could not take a reference to the memory
  | "GONE"; // the guardian exited (or was released) and can do nothing more

/** A failed guardian operation. */
export class DmaGuardError extends Error {
  constructor(
    readonly code: DmaGuardErrorCode,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = "DmaGuardError";
  }
}
