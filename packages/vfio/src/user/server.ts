/*
 * A device-agnostic vfio-user server. It never blocks the model: the model's own loop calls
 * poll(timeoutMs) (or serviceOnce()) regularly, and each call accepts, reads and answers what
 * is ready. One client at a time; a second one is refused the protocol's way: its first request
 * (VERSION) gets an error reply with EBUSY, then the socket is closed (refusing.ts). When the client goes away the model is reset, its DMA
 * windows are unmapped and its eventfds closed, and the server waits for the next client.
 */
import { existsSync, lstatSync } from "node:fs";
import {
  accept,
  bindUnix,
  connectUnix,
  constants as K,
  listen,
  MAX_FDS_PER_MESSAGE,
  PollSet,
  setSocketTimeouts,
  unixSocket,
  unlink,
} from "@dataplane/sys";
import { VfioError } from "../errors.ts";
import { closeAll } from "./channel.ts";
import { DmaSpace } from "./dma-space.ts";
import { IrqTable } from "./irq-table.ts";
import type { VfioUserDeviceModel } from "./model.ts";
import { Refusals } from "./refusing.ts";
import { Connection } from "./server-conn.ts";
import { checkModelRegions } from "./server-regions.ts";

/** Options for VfioUserServer. */
export interface VfioUserServerOptions {
  /** Largest REGION_READ/WRITE count accepted (default 1 MiB). */
  maxDataXfer?: number;
  /** Most fds accepted in one message (default 8). */
  maxMsgFds?: number;
  /** Most DMA windows at once (default 1024). */
  maxDmaWindows?: number;
  /** A reply the client does not take within this time drops the client (default 500 ms). */
  sendTimeoutMs?: number;
  /** Messages handled per poll() at most, so a chatty client cannot starve the model (default 64). */
  maxMessagesPerPoll?: number;
  /** Called with a line of text on connects, disconnects and dropped clients. */
  log?: (line: string) => void;
}

/** Counters for tests and monitoring. */
export interface VfioUserServerStats {
  connections: number;
  refused: number;
  messages: number;
  drops: number;
}

/**
 * Serves one VfioUserDeviceModel on a UNIX socket path, one client at a time, driven by the
 * model's loop through poll()/serviceOnce(). Throws VfioError BAD_ARGUMENT at construction
 * for a bad model or an unusable path.
 */
export class VfioUserServer {
  /** Client memory as the model sees it; windows change only inside poll(). */
  readonly dma: DmaSpace;
  readonly stats: VfioUserServerStats = { connections: 0, refused: 0, messages: 0, drops: 0 };
  private readonly irqs: IrqTable;
  private readonly listenFd: number;
  private readonly idleSet: PollSet;
  private busySet: PollSet | null = null;
  /** Second clients waiting for their EBUSY reply. */
  private readonly refusals = new Refusals();
  /** The poll set over the refused clients (rebuilt when they change), and their count. */
  private refusalSet: PollSet | null = null;
  private conn: Connection | null = null;
  private closed = false;
  /** The largest legal body: region access header + max_data_xfer_size bytes (+ slack). */
  private readonly rxBody: Uint8Array;
  private readonly opts: Required<Omit<VfioUserServerOptions, "log">>;

  /** Listens on `socketPath` (replacing a stale socket file) for clients of `model`. */
  constructor(
    readonly socketPath: string,
    private readonly model: VfioUserDeviceModel,
    options: VfioUserServerOptions = {},
  ) {
    this.opts = {
      maxDataXfer: options.maxDataXfer ?? 1 << 20,
      maxMsgFds: Math.min(options.maxMsgFds ?? 8, MAX_FDS_PER_MESSAGE),
      maxDmaWindows: options.maxDmaWindows ?? 1024,
      sendTimeoutMs: options.sendTimeoutMs ?? 500,
      maxMessagesPerPoll: options.maxMessagesPerPoll ?? 64,
    };
    this.log = options.log ?? (() => {});
    const problem = checkModelRegions(model);
    if (problem !== null) throw new VfioError("BAD_ARGUMENT", `device model: ${problem}`);
    this.dma = new DmaSpace(this.opts.maxDmaWindows);
    this.rxBody = new Uint8Array(2 * 16 + this.opts.maxDataXfer);
    this.irqs = new IrqTable([0, 1, 2, 3, 4].map((i) => model.irqCounts[i] ?? 0));
    removeStaleSocket(socketPath);
    this.listenFd = unixSocket(K.SOCK_NONBLOCK);
    try {
      bindUnix(this.listenFd, socketPath);
      listen(this.listenFd, 1);
    } catch (e) {
      closeAll([this.listenFd]);
      throw new VfioError(
        "BAD_ARGUMENT",
        `cannot listen on ${socketPath}: ${(e as Error).message}`,
        { cause: e },
      );
    }
    this.idleSet = new PollSet([this.listenFd], K.POLLIN);
  }

  private readonly log: (line: string) => void;

  /** True while a client is connected. */
  get connected(): boolean {
    return this.conn !== null;
  }

  /**
   * Waits up to `timeoutMs` (0 = just look, -1 = forever) for socket activity, then accepts
   * or serves what is ready. Returns the number of client messages handled.
   */
  poll(timeoutMs: number): number {
    if (this.closed) return 0;
    const set = this.busySet ?? this.idleSet;
    if (set.wait(timeoutMs) === 0) {
      this.serviceRefusals();
      return 0;
    }
    let handled = 0;
    const conn = this.conn;
    if (conn !== null && set.revents(0) !== 0) {
      const r = conn.service(this.opts.maxMessagesPerPoll);
      handled = r.handled;
      this.stats.messages += r.handled;
      if (r.drop !== null) this.dropClient(r.drop);
    }
    if ((set.revents(conn !== null ? 1 : 0) & K.POLLIN) !== 0) this.acceptClient();
    this.serviceRefusals();
    return handled;
  }

  /** poll(0): serve whatever is ready without waiting. */
  serviceOnce(): number {
    return this.poll(0);
  }

  /** Signals vector `vector` of IRQ `index` through the client's eventfd; false if none is set. */
  triggerIrq(index: number, vector: number): boolean {
    return this.irqs.trigger(index, vector);
  }

  /** Whether the client routed vector `vector` of IRQ `index` to an eventfd. */
  irqEnabled(index: number, vector: number): boolean {
    return this.irqs.has(index, vector);
  }

  /** Drops the current client as if it had disconnected (reset, unmap, close its fds). */
  disconnect(): void {
    if (this.conn !== null) this.dropClient("disconnected by the server");
  }

  /** Answers refused clients whose request arrived; forgets those past their deadline. */
  private serviceRefusals(): void {
    if (this.refusalSet === null) return;
    if (this.refusals.service(this.refusalSet, Date.now())) {
      this.refusalSet = this.refusals.pollSet();
    }
  }

  /** Drops the client, closes the listening socket and removes the socket file. Idempotent. */
  close(): void {
    if (this.closed) return;
    this.disconnect();
    this.refusals.closeAll();
    this.refusalSet = null;
    this.closed = true;
    closeAll([this.listenFd]);
    try {
      unlink(this.socketPath);
    } catch {
      // already removed by someone else
    }
  }

  [Symbol.dispose](): void {
    this.close();
  }

  private acceptClient(): void {
    let fd: number;
    try {
      fd = accept(this.listenFd);
    } catch {
      return; // the client gave up between poll and accept
    }
    if (this.conn !== null) {
      this.stats.refused++;
      this.log(`refused a second client on ${this.socketPath}: one at a time`);
      this.refusals.add(fd, Date.now());
      this.refusalSet = this.refusals.pollSet();
      return;
    }
    try {
      setSocketTimeouts(fd, 0, this.opts.sendTimeoutMs);
    } catch {
      closeAll([fd]);
      return;
    }
    const { maxDataXfer, maxMsgFds } = this.opts;
    const { rxBody } = this;
    this.conn = new Connection(
      fd,
      this.model,
      this.dma,
      this.irqs,
      maxDataXfer,
      maxMsgFds,
      rxBody,
      this.log,
    );
    this.busySet = new PollSet([fd, this.listenFd], K.POLLIN);
    this.stats.connections++;
    this.log(`client connected on ${this.socketPath}`);
  }

  private dropClient(why: string): void {
    const conn = this.conn;
    if (conn === null) return;
    this.conn = null;
    this.busySet = null;
    this.stats.drops++;
    this.log(`client dropped: ${why}`);
    conn.close();
    // Stop the model's DMA first, then take the memory away, then the interrupts.
    try {
      this.model.reset("disconnect");
    } catch (e) {
      this.log(`model reset failed: ${(e as Error).message}`);
    }
    this.dma.clear();
    this.irqs.clearAll();
  }
}

/** Removes a leftover socket file; refuses when a live server still answers on it. */
function removeStaleSocket(path: string): void {
  if (!existsSync(path)) return;
  if (!lstatSync(path).isSocket()) {
    throw new VfioError("BAD_ARGUMENT", `${path} exists and is not a socket; choose another path`);
  }
  const probe = unixSocket();
  let alive = false;
  try {
    connectUnix(probe, path);
    alive = true;
  } catch {
    // ECONNREFUSED: nobody listens, so the file is stale
  } finally {
    closeAll([probe]);
  }
  if (alive)
    throw new VfioError(
      "BAD_ARGUMENT",
      `a server is already listening on ${path}; stop it or choose another socket path`,
    );
  unlink(path);
}
