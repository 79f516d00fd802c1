/*
 * The client's side of one vfio-user socket: send a command, wait (bounded) for its reply.
 * Every wait goes through poll with the time left before a deadline, so a dead or silent
 * server ends in VfioError TIMEOUT or DISCONNECTED, never in a hang. After a timeout or a
 * framing error the stream can no longer be trusted and the channel refuses further requests.
 */
import {
  close,
  errnoName,
  constants as K,
  MAX_FDS_PER_MESSAGE,
  PollSet,
  recvMessage,
  SysError,
  sendMessage,
} from "@dataplane/sys";
import { VfioError } from "../errors.ts";
import {
  cmdName,
  encodeErrorReply,
  encodeMessage,
  FLAG_ERROR,
  FLAG_NO_REPLY,
  FLAG_TYPE_MASK,
  HEADER_SIZE,
  TYPE_COMMAND,
  TYPE_REPLY,
} from "./protocol.ts";

/** A reply's payload (a view into the channel's buffer, valid until the next request) and fds. */
export interface Reply {
  body: Uint8Array;
  fds: number[];
}

const ENOTSUP = 95;

/** Closes every descriptor in `fds`, ignoring errors (they are ours and unwanted). */
export function closeAll(fds: readonly number[]): void {
  for (const fd of fds) {
    try {
      close(fd);
    } catch {
      // already gone; nothing else to release
    }
  }
}

/** One client socket: bounded request/reply with reply validation; unusable after a timeout. */
export class Channel {
  private readonly poll: PollSet;
  private readonly header = new Uint8Array(HEADER_SIZE);
  private readonly headerView = new DataView(this.header.buffer);
  private body = new Uint8Array(256);
  private nextId = 1;
  private broken: string | null = null;
  private closed = false;
  private deadline = 0;
  private pending: number[] = [];

  constructor(
    private readonly fd: number,
    readonly timeoutMs: number,
    /** Largest reply accepted; anything bigger is a protocol error. */
    private readonly maxMessage: number,
  ) {
    this.poll = new PollSet([fd], K.POLLIN);
  }

  /** True once a timeout, disconnect or framing error made the stream unusable. */
  get usable(): boolean {
    return this.broken === null && !this.closed;
  }

  /**
   * Sends command `cmd` with `payload` (and `fds` as SCM_RIGHTS) and returns its reply.
   * Throws REMOTE for an error reply, TIMEOUT, DISCONNECTED or PROTOCOL otherwise.
   */
  request(cmd: number, payload: Uint8Array, fds: readonly number[] = [], maxFds = 0): Reply {
    this.checkUsable(cmd);
    const id = this.nextId;
    this.nextId = (this.nextId + 1) & 0xffff;
    this.deadline = performance.now() + this.timeoutMs;
    this.send(encodeMessage(id, cmd, TYPE_COMMAND, payload), fds, cmd);
    const reply = this.awaitReply(id, cmd, maxFds);
    if (reply instanceof VfioError) throw reply;
    return reply;
  }

  /**
   * Sends `payloads.length` commands `cmd` at once (no descriptors) and then takes their
   * replies in order, handing each body to `onReply` (valid only during the call). One wait for
   * the server instead of one per request: the server answers every message it finds queued.
   * An error reply is thrown (REMOTE) after all replies were read, so the stream stays in step.
   */
  requestMany(
    cmd: number,
    payloads: readonly Uint8Array[],
    onReply: (i: number, body: Uint8Array) => void,
  ): void {
    this.checkUsable(cmd);
    const first = this.nextId;
    const msgs = payloads.map((p, i) => encodeMessage((first + i) & 0xffff, cmd, TYPE_COMMAND, p));
    this.nextId = (first + payloads.length) & 0xffff;
    this.deadline = performance.now() + this.timeoutMs;
    const all = new Uint8Array(msgs.reduce((n, m) => n + m.length, 0));
    let off = 0;
    for (const m of msgs) {
      all.set(m, off);
      off += m.length;
    }
    this.send(all, [], cmd);
    let failure: VfioError | null = null;
    for (let i = 0; i < payloads.length; i++) {
      const reply = this.awaitReply((first + i) & 0xffff, cmd, 0);
      if (reply instanceof VfioError) failure ??= reply;
      else onReply(i, reply.body);
    }
    if (failure !== null) throw failure;
  }

  private checkUsable(cmd: number): void {
    if (this.closed)
      throw new VfioError(
        "CLOSED",
        `vfio-user ${cmdName(cmd)} after close(); connect again with connectVfioUser()`,
      );
    if (this.broken !== null) {
      throw new VfioError("DISCONNECTED", `vfio-user connection unusable: ${this.broken}`);
    }
  }

  /**
   * Reads until the reply to request `id` arrives; returns it, or the REMOTE error it carried.
   * Throws TIMEOUT, DISCONNECTED or PROTOCOL (the stream is then unusable).
   */
  private awaitReply(id: number, cmd: number, maxFds: number): Reply | VfioError {
    for (;;) {
      const size = this.receive(cmd);
      const fdsIn = this.pending;
      this.pending = [];
      const dv = this.headerView;
      const flags = dv.getUint32(8, true);
      const type = flags & FLAG_TYPE_MASK;
      if (type === TYPE_COMMAND) {
        // A server-initiated command (DMA_READ/WRITE): we always pass memory by fd, so refuse it.
        closeAll(fdsIn);
        const theirCmd = dv.getUint16(2, true);
        if ((flags & FLAG_NO_REPLY) === 0) {
          this.send(encodeErrorReply(dv.getUint16(0, true), theirCmd, ENOTSUP), [], theirCmd);
        }
        continue;
      }
      const gotId = dv.getUint16(0, true);
      const gotCmd = dv.getUint16(2, true);
      if (type !== TYPE_REPLY || gotId !== id || gotCmd !== cmd) {
        closeAll(fdsIn);
        this.fail(
          `reply to ${cmdName(cmd)} id ${id} came as type ${type}, id ${gotId}, ${cmdName(gotCmd)}`,
        );
      }
      if ((flags & FLAG_ERROR) !== 0) {
        closeAll(fdsIn);
        const errno = dv.getUint32(12, true);
        return new VfioError(
          "REMOTE",
          `vfio-user server refused ${cmdName(cmd)}: ${errnoName(errno)} (errno ${errno})`,
          { cause: { errno } },
        );
      }
      if (fdsIn.length > maxFds) {
        closeAll(fdsIn);
        throw new VfioError(
          "PROTOCOL",
          `reply to ${cmdName(cmd)} carried ${fdsIn.length} descriptors, at most ${maxFds} expected`,
        );
      }
      return { body: this.body.subarray(0, size - HEADER_SIZE), fds: fdsIn };
    }
  }

  /** Closes the socket. Idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    closeAll(this.pending);
    this.pending = [];
    closeAll([this.fd]);
  }

  private fail(why: string): never {
    this.broken = why;
    throw new VfioError("PROTOCOL", `vfio-user protocol error: ${why}; reconnect to recover`);
  }

  private send(msg: Uint8Array, fds: readonly number[], cmd: number): void {
    try {
      let off = sendMessage(this.fd, msg, fds);
      while (off < msg.length) off += sendMessage(this.fd, msg.subarray(off));
    } catch (e) {
      const code = e instanceof SysError ? e.code : "";
      if (code === "EAGAIN") {
        this.broken = `sending ${cmdName(cmd)} timed out`;
        throw new VfioError(
          "TIMEOUT",
          `vfio-user server did not take ${cmdName(cmd)} within ${this.timeoutMs} ms`,
          { cause: e },
        );
      }
      this.broken = `send failed (${code})`;
      throw new VfioError(
        "DISCONNECTED",
        `vfio-user server is gone (sending ${cmdName(cmd)}: ${code}); restart it and reconnect`,
        { cause: e },
      );
    }
  }

  /** Reads one whole message (header into `header`, payload into `body`); returns msg_size. */
  private receive(cmd: number): number {
    this.readExact(this.header, HEADER_SIZE, cmd);
    const size = this.headerView.getUint32(4, true);
    if (size < HEADER_SIZE || size > this.maxMessage) {
      closeAll(this.pending);
      this.pending = [];
      this.fail(`msg_size ${size} outside ${HEADER_SIZE}..${this.maxMessage}`);
    }
    if (this.body.length < size - HEADER_SIZE) this.body = new Uint8Array(size - HEADER_SIZE);
    this.readExact(this.body, size - HEADER_SIZE, cmd);
    return size;
  }

  private readExact(buf: Uint8Array, len: number, cmd: number): void {
    let got = 0;
    while (got < len) {
      const left = this.deadline - performance.now();
      // wait() also returns 0 when a signal interrupted it (EINTR): only the clock says timeout.
      if (left > 0 && this.poll.wait(Math.ceil(left)) === 0) continue;
      if (left <= 0) {
        this.broken = `no reply to ${cmdName(cmd)} within ${this.timeoutMs} ms`;
        throw new VfioError(
          "TIMEOUT",
          `vfio-user server did not answer ${cmdName(cmd)} within ${this.timeoutMs} ms; ` +
            "is it running and polling its socket? (raise timeoutMs if it is just slow)",
        );
      }
      let r: ReturnType<typeof recvMessage>;
      try {
        r = recvMessage(this.fd, buf.subarray(got, len), MAX_FDS_PER_MESSAGE, K.MSG_DONTWAIT);
      } catch (e) {
        if (e instanceof SysError && (e.code === "EAGAIN" || e.code === "EINTR")) continue;
        const code = e instanceof SysError ? e.code : String(e);
        this.broken = `receive failed (${code})`;
        // A reset connection is a server that died with our request unread (SIGKILL, crash).
        const gone = code === "ECONNRESET" || code === "EPIPE";
        throw new VfioError(
          "DISCONNECTED",
          gone
            ? `vfio-user server is gone (waiting for the reply to ${cmdName(cmd)}: ${code}); restart it and reconnect`
            : `vfio-user server connection failed: ${this.broken}`,
          { cause: e },
        );
      }
      for (const fd of r.fds) this.pending.push(fd);
      if (r.bytes === 0) {
        this.broken = "server closed the connection";
        throw new VfioError(
          "DISCONNECTED",
          `vfio-user server closed the connection while ${cmdName(cmd)} was pending; ` +
            "it may have crashed or refused the request: restart it and reconnect",
        );
      }
      if (r.controlTruncated) this.fail("descriptors were truncated (MSG_CTRUNC)");
      got += r.bytes;
    }
  }
}
