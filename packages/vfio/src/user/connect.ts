/*
 * connectVfioUser: opens the socket, bounds its sends with SO_SNDTIMEO, and hands it to
 * VfioUserClient, which runs the open sequence. Any failure closes the socket again.
 */
import { connectUnix, MAX_FDS_PER_MESSAGE, setSocketTimeouts, unixSocket } from "@dataplane/sys";
import { VfioError } from "../errors.ts";
import { Channel, closeAll } from "./channel.ts";
import { VfioUserClient } from "./client.ts";

/** Options for connectVfioUser. */
export interface VfioUserOptions {
  /** Upper bound on every request's round trip, in ms (default 2000). */
  timeoutMs?: number;
  /** Descriptors we accept per message, advertised in VERSION (default 8). */
  maxMsgFds?: number;
}

const DEFAULT_TIMEOUT_MS = 2000;

/**
 * Connects to the vfio-user server listening on `socketPath` and opens the device.
 * Throws VfioError DISCONNECTED (no server), TIMEOUT, PROTOCOL or REMOTE.
 */
export function connectVfioUser(socketPath: string, opts: VfioUserOptions = {}): VfioUserClient {
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  if (!Number.isInteger(timeoutMs) || timeoutMs <= 0) {
    throw new VfioError("BAD_ARGUMENT", `timeoutMs must be a positive integer, got ${timeoutMs}`);
  }
  const maxMsgFds = opts.maxMsgFds ?? 8;
  if (!Number.isInteger(maxMsgFds) || maxMsgFds < 1 || maxMsgFds > MAX_FDS_PER_MESSAGE) {
    throw new VfioError(
      "BAD_ARGUMENT",
      `maxMsgFds must be 1..${MAX_FDS_PER_MESSAGE}, got ${maxMsgFds}`,
    );
  }
  const fd = unixSocket();
  try {
    connectUnix(fd, socketPath);
    setSocketTimeouts(fd, 0, timeoutMs); // bounds sendmsg; receives are bounded by poll
  } catch (e) {
    closeAll([fd]);
    throw new VfioError(
      "DISCONNECTED",
      `cannot connect to vfio-user socket ${socketPath}: ${(e as Error).message}; ` +
        "is the device server running and listening there?",
      { cause: e },
    );
  }
  // We advertise 1 MiB transfers: no legal reply is larger than that plus two 16-byte headers.
  const channel = new Channel(fd, timeoutMs, (1 << 20) + 32);
  try {
    return new VfioUserClient(socketPath, channel, maxMsgFds);
  } catch (e) {
    channel.close();
    throw e;
  }
}
