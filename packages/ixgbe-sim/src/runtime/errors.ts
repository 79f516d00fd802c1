/*
 * SimError: failures of the simulator process shell (options, serving, the control socket,
 * starting and stopping the process). The model and the wires keep their own error classes.
 */

/** Machine-readable reasons; stable across versions. */
export type SimErrorCode =
  | "BAD_USAGE"
  | "SERVE_FAILED"
  | "START_FAILED"
  | "TIMEOUT"
  | "CONTROL"
  | "STOP_FAILED"
  | "CLOSED";

/** The simulator process (or the library that starts it) could not do what was asked. */
export class SimError extends Error {
  /** Which rule was broken. */
  readonly code: SimErrorCode;

  constructor(code: SimErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "SimError";
    this.code = code;
  }
}
