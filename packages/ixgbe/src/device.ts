/*
 * IxgbeDevice: opens an 82599 through a back-end, runs the datasheet's init sequence and
 * exposes batch RX/TX per queue. Setup methods are async and throw IxgbeError; rxBatch and
 * txBatch are the allocation-free hot path (see rx-queue.ts / tx-queue.ts).
 */
import type { Mmio } from "@dataplane/pci";
import { checkIdentity } from "./backend/identity.ts";
import { type BackendOptions, openBackend } from "./backend/open.ts";
import type { Backend, DmaBlock, ForeignMemory } from "./backend/types.ts";
import { IxgbeError } from "./errors.ts";
import {
  exportProblem,
  exportQueues,
  isHandedOff,
  type QueueHandoff,
  type QueueParts,
  type ReclaimOptions,
  reclaimQueue,
  releaseAbandoned,
} from "./handoff.ts";
import { checkHealth, type DeviceHealth } from "./health.ts";
import { RxInterrupts } from "./interrupts.ts";
import { initLink, type LinkStatus, readLink, waitForLink } from "./link.ts";
import { readMac, setPromiscuous, writeMac } from "./mac.ts";
import {
  formatMac,
  type IxgbeOptions,
  parseMac,
  type ResolvedOptions,
  resolveOptions,
} from "./options.ts";
import type { BufferPool } from "./pool.ts";
import { quiesce, resetDevice } from "./reset.ts";
import { QueueResources } from "./resources.ts";
import { disableRss, programRss, type RssSetup } from "./rss.ts";
import { enableRx, finishRxInit, initRxGlobal, initRxQueue, startRxQueue } from "./rx-init.ts";
import type { RxQueue } from "./rx-queue.ts";
import { type IxgbeStats, mapQueueStats, StatsAccumulator } from "./stats.ts";
import { enableTxDma, initTxGlobal, initTxQueue, startTxQueue } from "./tx-init.ts";
import type { TxQueue } from "./tx-queue.ts";

/** Options of IxgbeDevice.open: driver options plus where to find the device. */
export type OpenOptions = IxgbeOptions & BackendOptions;

/** An initialized 82599 port. */
export class IxgbeDevice {
  /** Register space (BAR0). */
  readonly mmio: Mmio;
  /** RSS as programmed, or null with one RX queue / rss: false. */
  rss: RssSetup | null = null;
  private readonly rx: RxQueue[];
  private readonly tx: TxQueue[];
  private readonly stats: StatsAccumulator;
  private irqs: RxInterrupts | null = null;
  private closed = false;

  private constructor(
    private readonly backend: Backend,
    private readonly options: ResolvedOptions,
    private readonly res: QueueResources,
  ) {
    this.mmio = backend.bar0;
    this.rx = res.rx;
    this.tx = res.tx;
    this.stats = new StatsAccumulator(options.rxQueues, options.txQueues, (offset) =>
      backend.plainRead === undefined ? false : backend.plainRead(offset),
    );
  }

  /**
   * Opens and initializes the device `spec` names (`0000:03:00.0`, `vfio-user:/path.sock`,
   * `sysfs:/dir`). Throws IxgbeError: BAD_SPEC, BAD_CONFIG, UNSUPPORTED_DEVICE, DEVICE_FAULT,
   * NO_MEMORY, INIT_TIMEOUT, QUEUE_TIMEOUT, LINK_TIMEOUT. Nothing stays open on failure.
   */
  static async open(spec: string, options: OpenOptions = {}): Promise<IxgbeDevice> {
    resolveOptions(options); // reject bad options before touching the device
    return IxgbeDevice.fromBackend(await openBackend(spec, options), options);
  }

  /** Initializes a device reached through an already opened back-end; takes ownership of it. */
  static async fromBackend(backend: Backend, options: IxgbeOptions = {}): Promise<IxgbeDevice> {
    let res: QueueResources | null = null;
    let dev: IxgbeDevice | null = null;
    try {
      const o = resolveOptions(options);
      checkIdentity(backend.name, backend.vendorId, backend.deviceId);
      res = QueueResources.build(backend, backend.bar0, o);
      dev = new IxgbeDevice(backend, o, res);
      await dev.init();
      return dev;
    } catch (e) {
      if (dev !== null) dev.close();
      else {
        res?.release();
        backend.close();
      }
      throw e;
    }
  }

  // `recovering`: same resources, RX buffers stay in their slots, counter totals are kept.
  private async init(recovering = false): Promise<void> {
    const { mmio, options: o, backend, res } = this;
    const name = backend.name;
    await resetDevice(mmio, o.timeouts, name);
    if (o.macAddress !== null) writeMac(mmio, o.macAddress);
    initLink(mmio);
    this.stats.restarted(); // the reset cleared every counter, free-running ones included
    if (recovering) this.stats.update(mmio);
    else this.stats.clear(mmio);
    initRxGlobal(mmio);
    for (const [q, ring] of res.rxRings.entries()) initRxQueue(mmio, q, ring);
    finishRxInit(mmio, o.rxQueues);
    mapQueueStats(mmio, o.rxQueues, o.txQueues);
    if (o.rss !== false && o.rxQueues > 1) this.rss = programRss(mmio, o.rss, o.rxQueues);
    else disableRss(mmio);
    initTxGlobal(mmio);
    for (const [q, ring] of res.txRings.entries()) initTxQueue(mmio, q, ring);
    enableTxDma(mmio);
    for (const q of this.rx) await startRxQueue(mmio, q, o.timeouts.queueMs, name, recovering);
    for (const q of this.tx) await startTxQueue(mmio, q.id, o.timeouts.queueMs, name);
    this.irqs = RxInterrupts.setup(
      mmio,
      backend.irq,
      o.interruptQueues,
      o.interruptThrottleUs,
      name,
    );
    enableRx(mmio);
    setPromiscuous(mmio, o.promiscuous);
    if (o.waitForLink) await waitForLink(mmio, o.timeouts.linkMs, name);
  }

  /** Back-end name (PCI address, socket path or directory). */
  get name(): string {
    return this.backend.name;
  }

  /** Back-end kind. */
  get kind(): Backend["kind"] {
    return this.backend.kind;
  }

  /** Number of RX queues. */
  get rxQueues(): number {
    return this.rx.length;
  }

  /** Number of TX queues. */
  get txQueues(): number {
    return this.tx.length;
  }

  /** Receives up to `max` frames on `queue` into `bufs`; returns the count. Hot path. */
  rxBatch(queue: number, bufs: Uint32Array, max: number): number {
    return (this.rx[queue] as RxQueue).rxBatch(bufs, max);
  }

  /** Queues up to `count` frames from `bufs` on `queue`; returns how many it took. Hot path. */
  txBatch(queue: number, bufs: Uint32Array, count: number): number {
    return (this.tx[queue] as TxQueue).txBatch(bufs, count);
  }

  /** The RX queue object (its rxBatch skips one indirection). Throws BAD_CONFIG, HANDED_OFF. */
  rxQueue(q: number): RxQueue {
    return this.check(this.rx, q, "RX");
  }

  /** The TX queue object. Throws BAD_CONFIG, HANDED_OFF. */
  txQueue(q: number): TxQueue {
    return this.check(this.tx, q, "TX");
  }

  /** The pool RX queue q receives into; received buffers are freed back here. */
  rxPool(q: number): BufferPool {
    return this.rxQueue(q).pool;
  }

  /** The pool TX queue q frees completed buffers into. */
  txPool(q: number): BufferPool {
    return this.txQueue(q).pool;
  }

  /**
   * Makes TX queue q free completed buffers into `pool` from now on, e.g. another queue's or
   * another device's RX pool for forwarding. Buffer DMA addresses of `pool` must be valid for
   * this device: pass `memory` (the pool's memory) to map it here on VFIO back-ends (at IOVA =
   * virtual address, as the driver maps its own). Throws BAD_CONFIG while buffers are in flight.
   */
  useTxPool(q: number, pool: BufferPool, memory?: ForeignMemory): void {
    const tx = this.txQueue(q);
    tx.clean();
    if (tx.inFlight !== 0) {
      throw new IxgbeError(
        "BAD_CONFIG",
        `TX queue ${q} still has ${tx.inFlight} buffers in flight; switch pools before sending`,
      );
    }
    if (memory !== undefined) this.backend.mapForeign(memory);
    tx.pool = pool;
  }

  /**
   * Hands RX queue q and TX queue q (with their pools) to a Worker: returns a plain object
   * to postMessage and pass to attachQueue() there. Until reclaimQueue(q), rxBatch/txBatch on
   * q return 0 here and rxQueue(q)/txQueue(q)/rxPool(q)/useTxPool(q) throw HANDED_OFF. See
   * exportQueues for several queues (or devices) sharing pools. Throws BAD_CONFIG, HANDED_OFF.
   */
  exportQueue(q: number): QueueHandoff {
    return exportQueues([{ device: this, queue: q }]);
  }

  /**
   * Null when queue pair q can be handed to a Worker (exportQueue would not refuse it for its
   * doorbells, pools or state), else why not: e.g. trapped doorbells. Throws BAD_CONFIG for a
   * queue pair that does not exist, CLOSED.
   */
  exportProblem(q: number): string | null {
    return exportProblem(this.handoffParts(q));
  }

  /**
   * Takes queue pair q back after the Worker's detach(); true when it runs here again (false
   * only with `force`, for a Worker that died attached). Throws BAD_CONFIG, HANDED_OFF.
   */
  reclaimQueue(q: number, options?: ReclaimOptions): boolean {
    return reclaimQueue(this.handoffParts(q), options);
  }

  /** @internal What handoff.ts needs about queue pair q. Throws BAD_CONFIG, CLOSED. */
  handoffParts(q: number): QueueParts {
    this.guard();
    return this.parts(q);
  }

  private parts(q: number): QueueParts {
    const { res } = this;
    const rx = this.rx[q];
    const tx = this.tx[q];
    const rxArea = res.state?.rx[q];
    const txArea = res.state?.tx[q];
    if (!Number.isInteger(q) || !rx || !tx || !rxArea || !txArea) {
      throw new IxgbeError(
        "BAD_CONFIG",
        `queue pair ${q} does not exist (0..${Math.min(this.rx.length, this.tx.length) - 1})`,
      );
    }
    return {
      name: this.name,
      queue: q,
      bar0: this.mmio,
      rx,
      tx,
      rxRing: res.rxRings[q] as QueueParts["rxRing"],
      txRing: res.txRings[q] as QueueParts["txRing"],
      rxArea,
      txArea,
      allRx: this.rx,
      allTx: this.tx,
    };
  }

  /** Blocks up to `timeoutMs` for a frame on an interrupt-mode RX queue; true when one is ready. */
  waitForRx(queue: number, timeoutMs: number): boolean {
    const rx = this.rxQueue(queue);
    if (rx.ready()) return true;
    if (this.irqs === null || !this.irqs.has(queue)) {
      throw new IxgbeError(
        "BAD_CONFIG",
        `RX queue ${queue} is not in interrupt mode; open with interruptQueues: [${queue}]`,
      );
    }
    // A wake-up can be stale: its frame was taken by an rxBatch before this wait. Wait again
    // until a frame really is there or the time is up.
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      const woke = this.irqs.wait(queue, Math.max(0, Math.ceil(deadline - performance.now())));
      if (rx.ready()) return true;
      if (!woke || performance.now() >= deadline) return false;
    }
  }

  /** The MAC address of receive-address entry 0, "aa:bb:cc:dd:ee:ff". */
  macAddress(): string {
    this.guard();
    return formatMac(readMac(this.mmio));
  }

  /** Sets the unicast MAC address (receive-address entry 0, valid). Throws BAD_CONFIG. */
  setMacAddress(mac: string): void {
    this.guard();
    writeMac(this.mmio, parseMac(mac));
  }

  /** Turns promiscuous mode (all unicast and multicast) on or off. */
  setPromiscuous(on: boolean): void {
    this.guard();
    setPromiscuous(this.mmio, on);
  }

  /**
   * Checks that the device still runs what the driver set up: queues the NIC stopped by itself
   * (RXDCTL/TXDCTL.ENABLE lost, e.g. after a DMA fault) and a reset behind the driver's back
   * (RXEN/TE off, ring bases gone). Reads registers: call it periodically or when a queue goes
   * quiet, not per packet. Throws CLOSED.
   */
  health(): DeviceHealth {
    this.guard();
    return checkHealth(this.mmio, this.res.rxRings, this.res.txRings, this.name);
  }

  /**
   * Sets the device up again after health() found a problem: stops what still runs, returns TX
   * buffers in flight to their pools, resets and re-initializes over the same rings and pools
   * (RX buffers stay in their slots; frames still waiting in the RX rings are dropped). Counter
   * totals keep counting; MAC and promiscuous mode come from the open options again. Throws
   * HANDED_OFF while a queue is in a Worker, CLOSED, and what open throws (INIT_TIMEOUT,
   * QUEUE_TIMEOUT, LINK_TIMEOUT); after a failure close() still releases everything, or
   * recover() may be tried again.
   */
  async recover(): Promise<void> {
    this.guard();
    const away = this.rx.findIndex((q) => q.isSuspended);
    if (away >= 0) {
      throw new IxgbeError(
        "HANDED_OFF",
        `${this.name}: queue ${away} is handed to a Worker; reclaimQueue(${away}) before recover()`,
      );
    }
    this.stats.update(this.mmio); // a reset clears the counters: keep what they hold now
    quiesce(this.mmio, this.rx.length, this.tx.length, this.options.timeouts.resetMs);
    for (const q of this.tx) q.rewind();
    this.irqs?.close();
    this.irqs = null;
    await this.init(true);
  }

  /**
   * The memory behind RX queue q's pool, for `other.useTxPool(q2, dev.rxPool(q), memory)` when
   * another device sends buffers received here (forwarding over VFIO / vfio-user, where the
   * other device must map it). Throws BAD_CONFIG when the back-end's memory has no file.
   */
  rxPoolMemory(q: number): ForeignMemory {
    this.rxQueue(q);
    const block = this.res.rxPoolBlocks[q] as DmaBlock;
    if (block.fd === undefined || block.fd < 0) {
      throw new IxgbeError(
        "BAD_CONFIG",
        `${this.name}: RX queue ${q}'s pool memory has no file descriptor to share (back-end ${this.kind})`,
      );
    }
    return {
      address: block.address,
      bytes: block.bytes,
      fd: block.fd,
      fdOffset: block.fdOffset ?? 0,
    };
  }

  /** Link state and speed from LINKS. */
  link(): LinkStatus {
    this.guard();
    return readLink(this.mmio);
  }

  /**
   * Reads the hardware counters into the totals and returns a snapshot: clear-on-read ones
   * are added, free-running ones (vfio-user mapped areas, Backend.plainRead) differenced.
   * Over vfio-user call it at least every ~20 s under full load (see stats.ts).
   */
  readStats(): IxgbeStats {
    this.guard();
    this.stats.update(this.mmio);
    return this.stats.snapshot(
      this.rx.map((q) => q.counters),
      this.tx.map((q) => q.counters),
    );
  }

  /**
   * Stops the queues, resets the device, unmaps and frees rings and pools, closes the back-end.
   * Idempotent; every resource is released even when the device no longer answers.
   */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    const errors: unknown[] = [];
    const step = (f: () => void) => {
      try {
        f();
      } catch (e) {
        errors.push(e);
      }
    };
    step(() => this.takeBackAll());
    step(() => this.stopDevice());
    step(() => this.irqs?.close());
    step(() => this.res.release());
    step(() => this.backend.close());
    if (errors.length > 0) {
      throw new IxgbeError(
        "DEVICE_FAULT",
        `closing ${this.name}: ${(errors[0] as Error).message}`,
        {
          cause: errors[0],
        },
      );
    }
  }

  /** True once close() ran. */
  get isClosed(): boolean {
    return this.closed;
  }

  [Symbol.dispose](): void {
    this.close();
  }

  // Queues still handed off at close: their Workers must be gone (their memory is about to be
  // unmapped); take them back by force so the pools' blocks are released.
  private takeBackAll(): void {
    const n = Math.min(this.rx.length, this.tx.length);
    for (let q = 0; q < n; q++) {
      const rx = this.rx[q] as RxQueue;
      if (isHandedOff(rx)) reclaimQueue(this.parts(q), { force: true });
      releaseAbandoned(rx);
    }
  }

  private stopDevice(): void {
    quiesce(this.mmio, this.rx.length, this.tx.length, this.options.timeouts.resetMs);
    for (const q of this.tx) q.releaseAll();
  }

  private guard(): void {
    if (this.closed) throw new IxgbeError("CLOSED", `${this.name} is closed; open it again`);
  }

  private check<T>(list: T[], q: number, dir: string): T {
    this.guard();
    const v = list[q];
    if (!Number.isInteger(q) || v === undefined) {
      throw new IxgbeError(
        "BAD_CONFIG",
        `${dir} queue ${q} does not exist (0..${list.length - 1})`,
      );
    }
    if ((v as { isSuspended?: boolean }).isSuspended === true) {
      throw new IxgbeError(
        "HANDED_OFF",
        `${dir} queue ${q} of ${this.name} is handed to a Worker; reclaimQueue(${q}) before using it here`,
      );
    }
    return v;
  }
}
