/*
 * IxgbeSimError: setup-time failures of the device model (bad options, bad DMA windows).
 * The datapath never throws; it counts drops and logs faults instead.
 */

/** Machine-readable reasons a model or DMA-space setup call was refused. */
export type IxgbeSimErrorCode =
  | "BAD_BAR"
  | "BAD_OPTION"
  | "BAD_WINDOW"
  | "WINDOW_OVERLAP"
  | "CLOSED";

/** A setup call of the 82599 model was given something it cannot work with. */
export class IxgbeSimError extends Error {
  /** Which rule was broken; stable across versions. */
  readonly code: IxgbeSimErrorCode;

  constructor(code: IxgbeSimErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "IxgbeSimError";
    this.code = code;
  }
}
