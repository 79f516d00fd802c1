/*
 * A synchronous client of the control socket (used by `ixgbe-sim ctl`, startSim and tests):
 * one connection, one JSON line out, one JSON line back, every wait bounded by a timeout so a
 * dead simulator cannot hang the caller.
 */
import {
  constants as C,
  close,
  connectUnix,
  pollOne,
  recvMessage,
  sendAll,
  setSocketTimeouts,
  unixSocket,
} from "@dataplane/sys";
import { IxgbeSimError } from "../errors.ts";

/** One control request. `port` is omitted for commands about the whole simulator. */
export interface ControlRequest {
  readonly cmd: string;
  readonly port?: number;
  readonly args?: Record<string, unknown>;
}

/** The reply to a request: a result, or an error with a code and a message. */
export type ControlReply =
  | { readonly ok: true; readonly result: unknown }
  | { readonly ok: false; readonly error: { readonly code: string; readonly message: string } };

/** A connection to a simulator's control socket. */
export class ControlClient {
  private readonly fd: number;
  private readonly buf = new Uint8Array(256 * 1024);
  private readonly decoder = new TextDecoder();
  private pending = "";
  private closed = false;

  /** Connects to `path`. Throws IxgbeSimError CONTROL when nobody listens there. */
  constructor(
    readonly path: string,
    private readonly timeoutMs = 5000,
  ) {
    this.fd = unixSocket();
    try {
      connectUnix(this.fd, path);
      setSocketTimeouts(this.fd, 0, timeoutMs);
    } catch (e) {
      close(this.fd);
      throw new IxgbeSimError(
        "CONTROL",
        `cannot connect to the control socket ${path}: ${(e as Error).message}; is ixgbe-sim running with this --socket-dir?`,
        { cause: e },
      );
    }
  }

  /** Sends `req` and returns the raw reply. Throws IxgbeSimError TIMEOUT or CONTROL. */
  send(req: ControlRequest): ControlReply {
    return this.sendLine(JSON.stringify(req), req.cmd);
  }

  /** Sends one line as it is (no newline inside) and returns the reply. */
  sendLine(line: string, what = "request"): ControlReply {
    if (this.closed) throw new IxgbeSimError("CLOSED", "control client is closed");
    sendAll(this.fd, new TextEncoder().encode(`${line}\n`));
    const reply = this.readLine(what);
    try {
      return JSON.parse(reply) as ControlReply;
    } catch (e) {
      throw new IxgbeSimError("CONTROL", `unreadable reply to ${what}: ${reply.slice(0, 200)}`, {
        cause: e,
      });
    }
  }

  /** Sends `req` and returns its result; an error reply becomes IxgbeSimError CONTROL. */
  call(req: ControlRequest): unknown {
    const reply = this.send(req);
    if (reply.ok) return reply.result;
    throw new IxgbeSimError("CONTROL", `${req.cmd}: ${reply.error.message} (${reply.error.code})`);
  }

  /** Closes the connection. Idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    close(this.fd);
  }

  [Symbol.dispose](): void {
    this.close();
  }

  private readLine(what: string): string {
    const deadline = Date.now() + this.timeoutMs;
    for (;;) {
      const nl = this.pending.indexOf("\n");
      if (nl >= 0) {
        const line = this.pending.slice(0, nl);
        this.pending = this.pending.slice(nl + 1);
        return line;
      }
      const left = deadline - Date.now();
      if (left <= 0 || pollOne(this.fd, C.POLLIN, left) === 0) {
        throw new IxgbeSimError(
          "TIMEOUT",
          `no reply to ${what} within ${this.timeoutMs} ms from ${this.path}`,
        );
      }
      const r = recvMessage(this.fd, this.buf);
      if (r.bytes === 0) {
        throw new IxgbeSimError(
          "CONTROL",
          `the simulator closed ${this.path} before answering ${what}`,
        );
      }
      this.pending += this.decoder.decode(this.buf.subarray(0, r.bytes), { stream: true });
    }
  }
}

/** One request on a fresh connection. */
export function controlCall(path: string, req: ControlRequest, timeoutMs = 5000): unknown {
  using client = new ControlClient(path, timeoutMs);
  return client.call(req);
}
