/*
 * IxgbeDevice: opens an 82599 through a back-end, runs the datasheet's init sequence and
 * exposes batch RX/TX per queue. Setup methods are async and throw IxgbeError; rxBatch and
 * txBatch are the allocation-free hot path (see rx-queue.ts / tx-queue.ts).
 */
import type { Mmio } from "@dataplane/pci";
import { checkIdentity } from "./backend/identity.ts";
import { type BackendOptions, openBackend } from "./backend/open.ts";
import type { Backend, ForeignMemory } from "./backend/types.ts";
import { IxgbeError } from "./errors.ts";
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
    this.stats = new StatsAccumulator(options.rxQueues, options.txQueues);
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

  private async init(): Promise<void> {
    const { mmio, options: o, backend, res } = this;
    const name = backend.name;
    await resetDevice(mmio, o.timeouts, name);
    if (o.macAddress !== null) writeMac(mmio, o.macAddress);
    initLink(mmio);
    this.stats.clear(mmio);
    initRxGlobal(mmio);
    for (const [q, ring] of res.rxRings.entries()) initRxQueue(mmio, q, ring);
    finishRxInit(mmio, o.rxQueues);
    mapQueueStats(mmio, o.rxQueues, o.txQueues);
    if (o.rss !== false && o.rxQueues > 1) this.rss = programRss(mmio, o.rss, o.rxQueues);
    else disableRss(mmio);
    initTxGlobal(mmio);
    for (const [q, ring] of res.txRings.entries()) initTxQueue(mmio, q, ring);
    enableTxDma(mmio);
    for (const q of this.rx) await startRxQueue(mmio, q, o.timeouts.queueMs, name);
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

  /** The RX queue object (its rxBatch skips one indirection). Throws BAD_CONFIG. */
  rxQueue(q: number): RxQueue {
    return this.check(this.rx, q, "RX");
  }

  /** The TX queue object. Throws BAD_CONFIG. */
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
    return this.irqs.wait(queue, timeoutMs) || rx.ready();
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

  /** Link state and speed from LINKS. */
  link(): LinkStatus {
    this.guard();
    return readLink(this.mmio);
  }

  /** Reads the clear-on-read hardware counters into the totals and returns a snapshot. */
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
    return v;
  }
}
