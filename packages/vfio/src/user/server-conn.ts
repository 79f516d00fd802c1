/*
 * One client connection on the server: non-blocking framing (header first, with its fds,
 * then exactly msg_size - 16 body bytes, so fds never attach to the wrong message), dispatch
 * to the handlers, and replies. Sends are blocking but bounded by SO_SNDTIMEO: a client that
 * stops reading its replies is dropped instead of stalling the model.
 */
import {
  constants as K,
  MAX_FDS_PER_MESSAGE,
  PollSet,
  recvMessage,
  SysError,
  sendMessage,
} from "@dataplane/sys";
import { closeAll } from "./channel.ts";
import type { DmaSpace } from "./dma-space.ts";
import type { IrqTable } from "./irq-table.ts";
import type { VfioUserDeviceModel } from "./model.ts";
import {
  DEFAULT_MAX_DATA_XFER,
  DEFAULT_MAX_MSG_FDS,
  encodeMessage,
  FLAG_ERROR,
  FLAG_NO_REPLY,
  FLAG_TYPE_MASK,
  HEADER_SIZE,
  TYPE_COMMAND,
  TYPE_REPLY,
} from "./protocol.ts";
import { handleCommand, type ServerContext } from "./server-handlers.ts";

/** Lines one client's requests may add to the log. */
const LOG_LINES = 16;

/** Why service() stopped: keep going, or drop the client (and why). */
export type ServiceResult = { handled: number; drop: string | null };

/** The connected client: framing, dispatch, replies; the handlers' ServerContext. */
export class Connection implements ServerContext {
  versioned = false;
  clientCaps = { maxMsgFds: DEFAULT_MAX_MSG_FDS, maxDataXfer: DEFAULT_MAX_DATA_XFER };
  private readonly header = new Uint8Array(HEADER_SIZE);
  private readonly headerView = new DataView(this.header.buffer);
  private readonly body: Uint8Array;
  private headerGot = 0;
  private bodyLen = -1;
  private bodyGot = 0;
  private fdsIn: number[] = [];
  private truncated = false;
  private readonly readable: PollSet;
  private closed = false;
  private logged = 0;

  constructor(
    readonly fd: number,
    readonly model: VfioUserDeviceModel,
    readonly dma: DmaSpace,
    readonly irqs: IrqTable,
    readonly maxDataXfer: number,
    readonly maxMsgFds: number,
    /** Receive buffer for message bodies, owned by the server and reused by each connection. */
    body: Uint8Array,
    /** Log line sink. */
    private readonly sink: (line: string) => void = () => {},
  ) {
    this.body = body;
    this.readable = new PollSet([fd], K.POLLIN);
  }

  /**
   * Logs a line about this client's requests; after LOG_LINES of them the rest are counted,
   * not printed, so a client cannot flood the log.
   */
  log(line: string): void {
    this.logged++;
    if (this.logged <= LOG_LINES) this.sink(line);
    else if (this.logged === LOG_LINES + 1)
      this.sink("further refusals for this client are not logged");
  }

  /** Reads and handles up to `budget` messages without blocking. */
  service(budget: number): ServiceResult {
    let handled = 0;
    while (handled < budget) {
      if (this.readable.wait(0) === 0) break;
      const step = this.readSome();
      if (step !== null) return { handled, drop: step };
      if (this.bodyLen < 0 || this.bodyGot < this.bodyLen) continue;
      const drop = this.dispatch();
      handled++;
      if (drop !== null) return { handled, drop };
    }
    return { handled, drop: null };
  }

  /** Closes the socket and any fds of a half-received message. Idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    closeAll(this.fdsIn);
    this.fdsIn = [];
    closeAll([this.fd]);
  }

  /** One recvmsg into the header or the body. Returns a reason to drop the client, or null. */
  private readSome(): string | null {
    const inHeader = this.headerGot < HEADER_SIZE;
    const target = inHeader
      ? this.header.subarray(this.headerGot)
      : this.body.subarray(this.bodyGot, this.bodyLen);
    let r: ReturnType<typeof recvMessage>;
    try {
      r = recvMessage(this.fd, target, MAX_FDS_PER_MESSAGE, K.MSG_DONTWAIT);
    } catch (e) {
      if (e instanceof SysError && (e.code === "EAGAIN" || e.code === "EINTR")) return null;
      return `receive failed: ${e instanceof SysError ? e.code : String(e)}`;
    }
    for (const fd of r.fds) this.fdsIn.push(fd);
    if (r.controlTruncated) this.truncated = true;
    if (r.bytes === 0)
      return this.headerGot === 0 ? "client closed the connection" : "client closed mid-message";
    if (!inHeader) {
      this.bodyGot += r.bytes;
      return null;
    }
    this.headerGot += r.bytes;
    if (this.headerGot < HEADER_SIZE) return null;
    const size = this.headerView.getUint32(4, true);
    if (size < HEADER_SIZE || size - HEADER_SIZE > this.body.length) {
      return `msg_size ${size} outside ${HEADER_SIZE}..${HEADER_SIZE + this.body.length}`;
    }
    this.bodyLen = size - HEADER_SIZE;
    this.bodyGot = 0;
    return null;
  }

  /** Handles the complete message in header/body and resets the framing state. */
  private dispatch(): string | null {
    const dv = this.headerView;
    const id = dv.getUint16(0, true);
    const cmd = dv.getUint16(2, true);
    const flags = dv.getUint32(8, true);
    const body = this.body.subarray(0, this.bodyLen);
    const fds = this.fdsIn;
    this.fdsIn = [];
    this.headerGot = 0;
    this.bodyLen = -1;
    const truncated = this.truncated;
    this.truncated = false;
    if ((flags & FLAG_TYPE_MASK) !== TYPE_COMMAND) {
      closeAll(fds); // a reply or junk type: we never sent a command, so there is nothing to match
      return null;
    }
    let out: { errno: number; payload: Uint8Array; fds: readonly number[]; close: boolean };
    if (
      truncated ||
      fds.length > this.maxMsgFds ||
      (flags & ~(FLAG_TYPE_MASK | FLAG_NO_REPLY)) !== 0
    ) {
      closeAll(fds);
      out = { errno: 22, payload: new Uint8Array(0), fds: [], close: false };
    } else {
      out = handleCommand(this, cmd, body, fds);
    }
    if ((flags & FLAG_NO_REPLY) === 0) {
      const replyFlags = out.errno === 0 ? TYPE_REPLY : TYPE_REPLY | FLAG_ERROR;
      const reply = encodeMessage(
        id,
        cmd,
        replyFlags,
        out.errno === 0 ? out.payload : new Uint8Array(0),
        out.errno,
      );
      const why = this.send(reply, out.fds);
      if (why !== null) return why;
    }
    return out.close ? `handshake failed (command ${cmd}, errno ${out.errno})` : null;
  }

  private send(msg: Uint8Array, fds: readonly number[]): string | null {
    try {
      let off = sendMessage(this.fd, msg, fds);
      while (off < msg.length) off += sendMessage(this.fd, msg.subarray(off));
      return null;
    } catch (e) {
      return `reply not delivered: ${e instanceof SysError ? e.code : String(e)}`;
    }
  }
}
