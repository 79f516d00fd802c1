/*
 * The control socket: a UNIX stream socket speaking JSON lines (one request per line, one
 * reply per line), serviced from the device loop without blocking it. A few clients at once;
 * a line longer than MAX_LINE or a client that stops reading its replies is dropped. What a
 * line means is the handler's business (commands.ts).
 */
import { existsSync, lstatSync } from "node:fs";
import {
  accept,
  bindUnix,
  constants as C,
  close,
  connectUnix,
  listen,
  PollSet,
  recvMessage,
  SysError,
  sendAll,
  setSocketTimeouts,
  unixSocket,
  unlink,
} from "@dataplane/sys";
import { IxgbeSimError } from "../errors.ts";

/** Longest request line accepted (an injected 9018-byte frame in hex fits easily). */
export const MAX_LINE = 256 * 1024;
/** Clients served at once; more are accepted and closed. */
export const MAX_CLIENTS = 8;
const SEND_TIMEOUT_MS = 200;

interface Client {
  fd: number;
  buffered: string;
}

/** Answers one request line with one reply (without the newline). Must not throw. */
export type LineHandler = (line: string) => string;

/** A non-blocking JSON-lines server on a UNIX socket path. */
export class ControlServer {
  private readonly listenFd: number;
  private readonly clients: Client[] = [];
  private set: PollSet;
  private readonly buf = new Uint8Array(64 * 1024);
  private readonly decoder = new TextDecoder();
  private readonly encoder = new TextEncoder();
  private closed = false;

  /** Listens on `path` (a stale socket file is replaced; a live one is an error). */
  constructor(
    readonly path: string,
    private readonly handler: LineHandler,
    private readonly log: (line: string) => void = () => {},
  ) {
    removeStale(path);
    this.listenFd = unixSocket(C.SOCK_NONBLOCK);
    try {
      bindUnix(this.listenFd, path);
      listen(this.listenFd, MAX_CLIENTS);
    } catch (e) {
      close(this.listenFd);
      throw new IxgbeSimError("SERVE_FAILED", `cannot listen on ${path}: ${(e as Error).message}`, {
        cause: e,
      });
    }
    this.set = new PollSet([this.listenFd], C.POLLIN);
  }

  /** Waits up to `timeoutMs` for activity, then accepts and answers what is ready. */
  poll(timeoutMs: number): number {
    if (this.closed || this.set.wait(timeoutMs) === 0) return 0;
    let handled = 0;
    const ready: Client[] = [];
    for (let i = 0; i < this.clients.length; i++) {
      if (this.set.revents(i + 1) !== 0) ready.push(this.clients[i] as Client);
    }
    for (const c of ready) handled += this.serve(c);
    if ((this.set.revents(0) & C.POLLIN) !== 0) this.accept();
    return handled;
  }

  /** Closes every client and the socket, removes the socket file. Idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const c of this.clients) close(c.fd);
    this.clients.length = 0;
    close(this.listenFd);
    try {
      unlink(this.path);
    } catch {
      // already gone
    }
  }

  [Symbol.dispose](): void {
    this.close();
  }

  private accept(): void {
    let fd: number;
    try {
      fd = accept(this.listenFd); // blocking, so replies block at most SEND_TIMEOUT_MS
    } catch {
      return;
    }
    if (this.clients.length >= MAX_CLIENTS) {
      this.log(`control: refused a client, ${MAX_CLIENTS} already connected`);
      close(fd);
      return;
    }
    setSocketTimeouts(fd, 0, SEND_TIMEOUT_MS);
    this.clients.push({ fd, buffered: "" });
    this.rebuild();
  }

  /** Reads what one client sent and answers every complete line. */
  private serve(c: Client): number {
    let r: ReturnType<typeof recvMessage>;
    try {
      r = recvMessage(c.fd, this.buf, 0, C.MSG_DONTWAIT);
    } catch (e) {
      if (e instanceof SysError && (e.code === "EAGAIN" || e.code === "EINTR")) return 0;
      this.drop(c);
      return 0;
    }
    if (r.bytes === 0) {
      this.drop(c);
      return 0;
    }
    c.buffered += this.decoder.decode(this.buf.subarray(0, r.bytes), { stream: true });
    let handled = 0;
    for (let nl = c.buffered.indexOf("\n"); nl >= 0; nl = c.buffered.indexOf("\n")) {
      const line = c.buffered.slice(0, nl);
      c.buffered = c.buffered.slice(nl + 1);
      if (line.trim() === "") continue;
      handled++;
      if (!this.reply(c, this.handler(line))) return handled;
    }
    if (c.buffered.length > MAX_LINE) {
      this.reply(
        c,
        JSON.stringify({
          ok: false,
          error: { code: "TOO_LONG", message: `request line over ${MAX_LINE} bytes` },
        }),
      );
      this.drop(c);
    }
    return handled;
  }

  private reply(c: Client, text: string): boolean {
    try {
      sendAll(c.fd, this.encoder.encode(`${text}\n`));
      return true;
    } catch {
      this.drop(c); // the client stopped reading: it must not stall the device
      return false;
    }
  }

  private drop(c: Client): void {
    const i = this.clients.indexOf(c);
    if (i < 0) return;
    this.clients.splice(i, 1);
    close(c.fd);
    this.rebuild();
  }

  private rebuild(): void {
    this.set = new PollSet([this.listenFd, ...this.clients.map((c) => c.fd)], C.POLLIN);
  }
}

/** Removes a leftover socket file nobody listens on; refuses a live one or a non-socket. */
export function removeStale(path: string): void {
  if (!existsSync(path)) return;
  if (!lstatSync(path).isSocket()) {
    throw new IxgbeSimError(
      "SERVE_FAILED",
      `${path} exists and is not a socket; choose another directory`,
    );
  }
  const probe = unixSocket();
  let alive = false;
  try {
    connectUnix(probe, path);
    alive = true;
  } catch {
    // nobody listening: stale
  } finally {
    close(probe);
  }
  if (alive) {
    throw new IxgbeSimError(
      "SERVE_FAILED",
      `another simulator already listens on ${path}; stop it or give --socket-dir another directory`,
    );
  }
  unlink(path);
}
