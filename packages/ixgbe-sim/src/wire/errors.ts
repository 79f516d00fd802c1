/* WireError: a wire could not be built or opened (bad spec, unreadable pcap, TAP setup failed). */

/** What went wrong while building a wire. */
export type WireErrorCode =
  | "BAD_SPEC"
  | "BAD_PCAP"
  | "CABLE_UNPAIRED"
  | "TAP_FAILED"
  | "PCAP_IO"
  | "TOO_MANY_GENERATORS";

/** Setup-time failure of a wire. Hot paths never throw it; they count instead. */
export class WireError extends Error {
  constructor(
    readonly code: WireErrorCode,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = "WireError";
  }
}
