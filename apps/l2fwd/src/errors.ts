/* L2fwdError: the forwarder's one error class, with a string code and an actionable message. */

/**
 * Why l2fwd stopped. USAGE: a bad flag, config key or value (exit status 2). CONFIG_FILE: the
 * config file could not be read or parsed (exit 2). HUGEPAGES: not enough free hugepages and
 * none could be reserved. NOT_AVAILABLE: a part of the stack the run needs is missing.
 * VALIDATION: the traffic check failed (exit 1). WORKER: a forwarding Worker thread failed
 * (the message carries the Worker's stack). DEVICE: a port or the embedded model could not be
 * opened, or failed during the run and could not be brought back.
 */
export type L2fwdErrorCode =
  | "USAGE"
  | "CONFIG_FILE"
  | "HUGEPAGES"
  | "NOT_AVAILABLE"
  | "VALIDATION"
  | "WORKER"
  | "DEVICE";

/** An l2fwd setup step failed. `code` says why; the message says what to change. */
export class L2fwdError extends Error {
  constructor(
    readonly code: L2fwdErrorCode,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = "L2fwdError";
  }

  /** Process exit status for this error: 2 for usage and config mistakes, 1 otherwise. */
  get exitCode(): number {
    return this.code === "USAGE" || this.code === "CONFIG_FILE" ? 2 : 1;
  }
}
