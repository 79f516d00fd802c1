/*
 * IxgbeSimError: the one error class of @dataplane/ixgbe-sim. Every setup-time failure throws it:
 * the model and its DMA spaces (bad options, bad windows), the wires (bad spec, unreadable pcap,
 * TAP setup) and the simulator process shell (options, serving, the control socket, starting and
 * stopping). The datapath never throws; it counts drops and logs faults instead.
 */

/** Machine-readable reasons a call was refused; stable across versions. */
export type IxgbeSimErrorCode =
  // the model and its DMA spaces
  | "BAD_BAR"
  | "BAD_OPTION"
  | "BAD_WINDOW"
  | "WINDOW_OVERLAP"
  // the wires
  | "BAD_SPEC"
  | "BAD_PCAP"
  | "CABLE_UNPAIRED"
  | "TAP_FAILED"
  | "PCAP_IO"
  | "TOO_MANY_GENERATORS"
  // the simulator process, serving and control
  | "BAD_USAGE"
  | "SERVE_FAILED"
  | "START_FAILED"
  | "TIMEOUT"
  | "CONTROL"
  | "STOP_FAILED"
  // used after close() by the DMA spaces and the control client
  | "CLOSED";

/** The simulator (its model, a wire, or the process around them) cannot do what was asked. */
export class IxgbeSimError extends Error {
  /** Which rule was broken; stable across versions. */
  readonly code: IxgbeSimErrorCode;

  constructor(code: IxgbeSimErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "IxgbeSimError";
    this.code = code;
  }
}
