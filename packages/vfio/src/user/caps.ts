/*
 * The JSON capabilities carried by VERSION. Both sides send them; each value describes what
 * its sender can receive. The peer's JSON is untrusted: types and ranges are checked by hand.
 */
import { VfioError } from "../errors.ts";
import { DEFAULT_MAX_DATA_XFER, DEFAULT_MAX_MSG_FDS } from "./protocol.ts";

/** Negotiated limits of the peer: fds per message it accepts and the largest data transfer. */
export interface Capabilities {
  maxMsgFds: number;
  maxDataXfer: number;
}

/** Upper bounds we accept from a peer, so a hostile value cannot make us allocate wildly. */
const MAX_FDS_CAP = 1024;
const MAX_XFER_CAP = 64 << 20;

function bad(why: string): never {
  throw new VfioError("PROTOCOL", `bad vfio-user VERSION capabilities: ${why}`);
}

function int(value: unknown, name: string, min: number, max: number, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < min) {
    bad(`${name} must be an integer ≥ ${min}, got ${JSON.stringify(value)}`);
  }
  return Math.min(value, max);
}

/** Parses the peer's capabilities JSON (null = none sent: protocol defaults). */
export function parseCapabilities(json: string | null): Capabilities {
  if (json === null || json.length === 0) {
    return { maxMsgFds: DEFAULT_MAX_MSG_FDS, maxDataXfer: DEFAULT_MAX_DATA_XFER };
  }
  let top: unknown;
  try {
    top = JSON.parse(json);
  } catch (e) {
    bad(`not JSON (${(e as Error).message})`);
  }
  if (typeof top !== "object" || top === null || Array.isArray(top)) bad("top level not an object");
  const caps = (top as Record<string, unknown>).capabilities;
  if (caps === undefined) {
    return { maxMsgFds: DEFAULT_MAX_MSG_FDS, maxDataXfer: DEFAULT_MAX_DATA_XFER };
  }
  if (typeof caps !== "object" || caps === null || Array.isArray(caps)) {
    bad("capabilities is not an object");
  }
  const c = caps as Record<string, unknown>;
  return {
    maxMsgFds: int(c.max_msg_fds, "max_msg_fds", 0, MAX_FDS_CAP, DEFAULT_MAX_MSG_FDS),
    maxDataXfer: int(
      c.max_data_xfer_size,
      "max_data_xfer_size",
      4,
      MAX_XFER_CAP,
      DEFAULT_MAX_DATA_XFER,
    ),
  };
}

/** Our capabilities JSON (without the NUL, which the VERSION encoder adds). */
export function capabilitiesJson(c: Capabilities, extra: Record<string, number> = {}): string {
  return JSON.stringify({
    capabilities: { max_msg_fds: c.maxMsgFds, max_data_xfer_size: c.maxDataXfer, ...extra },
  });
}
