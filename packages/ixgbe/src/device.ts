/*
 * IxgbeDevice: opens an 82599 through a back-end, runs the datasheet's init sequence and
 * exposes batch RX/TX per queue. Setup methods are async and throw IxgbeError; rxBatch and
 * txBatch are the allocation-free hot path (see rx-queue.ts / tx-queue.ts). This file ties the
 * parts together: the init sequence is in device-init.ts, queue lookups and pool sharing in
 * device-queues.ts, recovery in device-recover.ts and teardown in device-close.ts.
 */
import type { Mmio } from "@dataplane/pci";
import { checkIdentity } from "./backend/identity.ts";
import { type BackendOptions, openBackend } from "./backend/open.ts";
import type { Backend, DmaBlock, ForeignMemory } from "./backend/types.ts";
import { runAllSteps, stopDevice, takeBackAll } from "./device-close.ts";
import { goLive, resetAndSetupRx, setupInterrupts, setupTxAndStartQueues } from "./device-init.ts";
import { pickQueue, poolMemory, queueParts, switchTxPool, waitForFrame } from "./device-queues.ts";
import { stopForRecovery } from "./device-recover.ts";
import { IxgbeError } from "./errors.ts";
import {
  exportProblem,
  exportQueues,
  type QueueHandoff,
  type QueueParts,
  type ReclaimOptions,
  reclaimQueue,
} from "./handoff.ts";
import { checkHealth, type DeviceHealth } from "./health.ts";
import type { RxInterrupts } from "./interrupts.ts";
import { type LinkStatus, readLink } from "./link.ts";
import { readMac, setPromiscuous, writeMac } from "./mac.ts";
import {
  formatMac,
  type IxgbeOptions,
  parseMac,
  type ResolvedOptions,
  resolveOptions,
} from "./options.ts";
import type { BufferPool } from "./pool.ts";
import { QueueResources } from "./resources.ts";
import type { RssSetup } from "./rss.ts";
import type { RxQueue } from "./rx-queue.ts";
import { type IxgbeStats, StatsAccumulator } from "./stats.ts";
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
      if (dev !== null) {
        try {
          dev.close();
        } catch {
          // close() released everything; the init failure is what the caller needs to see
        }
      } else {
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
    const rss = await resetAndSetupRx(mmio, o, res, this.stats, recovering, name);
    if (rss !== null) this.rss = rss;
    await setupTxAndStartQueues(mmio, res, o, name, recovering);
    this.irqs = setupInterrupts(mmio, backend, o);
    await goLive(mmio, o, name);
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
    this.guard();
    return pickQueue(this.rx, q, "RX", this.name);
  }

  /** The TX queue object. Throws BAD_CONFIG, HANDED_OFF. */
  txQueue(q: number): TxQueue {
    this.guard();
    return pickQueue(this.tx, q, "TX", this.name);
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
    switchTxPool(this.txQueue(q), q, pool, memory, this.backend);
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
    return queueParts(this.res, this.mmio, this.name, q);
  }

  /** Blocks up to `timeoutMs` for a frame on an interrupt-mode RX queue; true when one is ready. */
  waitForRx(queue: number, timeoutMs: number): boolean {
    return waitForFrame(this.rxQueue(queue), this.irqs, queue, timeoutMs);
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
    stopForRecovery(this.mmio, this.res, this.stats, this.options.timeouts, this.name);
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
    return poolMemory(this.res.rxPoolBlocks[q] as DmaBlock, q, this.name, this.kind);
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
    const { mmio, res } = this;
    runAllSteps(this.name, [
      () => takeBackAll(res, mmio, this.name),
      () => stopDevice(mmio, res, this.options.timeouts, this.name),
      () => this.irqs?.close(),
      () => res.release(),
      () => this.backend.close(),
    ]);
  }

  /** True once close() ran. */
  get isClosed(): boolean {
    return this.closed;
  }

  [Symbol.dispose](): void {
    this.close();
  }

  private guard(): void {
    if (this.closed) throw new IxgbeError("CLOSED", `${this.name} is closed; open it again`);
  }
}
