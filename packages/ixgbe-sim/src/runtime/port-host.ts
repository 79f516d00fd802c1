/*
 * PortHost: everything one simulated port needs to be reachable: its register file in shared
 * memory, config space, the Port model, its vfio-user server and (optionally) its sysfs-style
 * directory, and the DmaSwitch that points the model at whichever client is attached.
 */

import type { QueueWire } from "../control/queue-wire.ts";
import { Port, type Port as PortModel, type PortOptions } from "../model/port.ts";
import { BAR_BYTES, MAPPED_ALL, MAPPED_QUEUE_PAGES } from "../model/register-map.ts";
import type { ResetTiming } from "../model/reset-timing.ts";
import type { Strictness } from "../model/rules.ts";
import { SharedFile } from "../serve/bar-store.ts";
import { BusMasterWatch } from "../serve/bus-master-watch.ts";
import { busMasterEnabled, CONFIG_BYTES, fillConfig } from "../serve/config.ts";
import { DmaSwitch } from "../serve/dma-switch.ts";
import { SysfsDeviceDir } from "../serve/sysfs-dir.ts";
import { VfioUserPort } from "../serve/vfio-user.ts";
import type { Wire } from "../wire/wire.ts";
import { PowerHistory, type RetiredCounts } from "./power-history.ts";

/** How one port is built. */
export interface PortHostOptions {
  /** Port number (0-based); function = index & 1. */
  readonly index: number;
  readonly wire: Wire;
  readonly queue: QueueWire | null;
  readonly mac: string;
  readonly linkDelayMs: number;
  readonly queues: number;
  /** vfio-user socket path. */
  readonly socketPath: string;
  /** Parent of the sysfs-style directory, or null for vfio-user only. */
  readonly sysfsRoot: string | null;
  readonly clock: () => number;
  readonly log: (line: string) => void;
  /** How the model judges the driver (see Port). */
  readonly strictness: Strictness;
  readonly resetTiming: ResetTiming;
}

/** PCI address shown for port `index`: two functions per card, one bus per card. */
export function pciAddress(index: number): string {
  return `0000:${(0x5e + (index >>> 1)).toString(16)}:00.${index & 1}`;
}

/** One served port. */
export class PortHost {
  readonly index: number;
  /** The model; replaced by powerCycle(). */
  port: PortModel;
  readonly wire: Wire;
  readonly queue: QueueWire | null;
  readonly vfio: VfioUserPort;
  readonly sysfs: SysfsDeviceDir | null;
  /** Config space bytes (shared with the sysfs `config` file when there is one). */
  readonly config: Uint8Array;
  readonly dma = new DmaSwitch();
  /** Counts of the models earlier power cycles replaced. */
  private readonly history = new PowerHistory();
  /** Bus Master Enable as the datapath saw it, change by change. */
  readonly busMasterWatch = new BusMasterWatch();
  private readonly memfd: SharedFile | null;
  private readonly portOptions: PortOptions;
  private closed = false;

  constructor(o: PortHostOptions) {
    this.index = o.index;
    this.wire = o.wire;
    this.queue = o.queue;
    const fn = o.index & 1;
    let sysfs: SysfsDeviceDir | null = null;
    let memfd: SharedFile | null = null;
    let vfio: VfioUserPort | null = null;
    try {
      if (o.sysfsRoot !== null) {
        sysfs = new SysfsDeviceDir({
          root: o.sysfsRoot,
          address: pciAddress(o.index),
          fn,
          barBase: 0xf0000000 + o.index * 0x100000,
          log: o.log,
          beforeDetach: () => this.clientGone(),
        });
      } else {
        memfd = SharedFile.memfd(`ixgbe-sim-p${o.index}-bar0`, BAR_BYTES);
      }
      const bar = sysfs?.resource0 ?? (memfd as SharedFile);
      this.config = sysfs?.config.u8 ?? new Uint8Array(CONFIG_BYTES);
      if (sysfs === null) fillConfig(this.config, fn);
      vfio = new VfioUserPort({
        socketPath: o.socketPath,
        barFd: bar.fd,
        mmapAreas: MAPPED_QUEUE_PAGES,
        config: this.config,
        log: o.log,
      });
      const served = vfio;
      this.portOptions = {
        dma: this.dma,
        wire: o.wire,
        irq: (v) => served.irq(v),
        bar: bar.u32,
        lanId: fn,
        mac: o.mac,
        linkUpDelayMs: o.linkDelayMs,
        queues: o.queues,
        // sysfs clients write every register in place; vfio-user clients only the queue pages
        mapped: sysfs === null ? MAPPED_QUEUE_PAGES : MAPPED_ALL,
        clock: o.clock,
        strictness: o.strictness,
        resetTiming: o.resetTiming,
        log: o.log,
      };
      this.port = new Port(this.portOptions);
    } catch (e) {
      vfio?.close();
      sysfs?.close();
      memfd?.close();
      throw e;
    }
    this.vfio = vfio;
    this.sysfs = sysfs;
    this.memfd = memfd;
    this.vfio.attach(this.port);
    this.dma.use(this.vfio.server.dma);
  }

  /**
   * True when the client set Bus Master Enable and its memory can be reached: the datapath may
   * DMA. A sysfs-mode client is found by a scan of /proc some milliseconds after it set the bit;
   * until then its physical addresses resolve nowhere, and a descriptor fetch in that window
   * would be a DMA fault that stops a queue the driver is just enabling (a real card reaches
   * physical memory at once). So the datapath waits for the client instead.
   */
  get busMaster(): boolean {
    const reachable =
      this.sysfs === null || this.vfio.server.connected || this.sysfs.clientPid >= 0;
    return this.busMasterWatch.sample(busMasterEnabled(this.config) && reachable, this.snapshot);
  }

  private readonly snapshot = () => ({
    accesses: this.dma.accesses,
    resets: this.port.stats().resets,
    clientPid: this.sysfs?.clientPid ?? -1,
  });

  /** Slow-path duties: finds or drops the sysfs client. */
  housekeeping(nowNs: number): void {
    // With both transports on, BAR0 is one file: a vfio-user client maps resource0 too, and
    // must not be taken for a sysfs client (whose DMA addresses would be physical).
    if (this.sysfs === null || this.vfio.server.connected) return;
    if (this.sysfs.poll(nowNs) === "attached") this.dma.use(this.sysfs.physical);
  }

  /**
   * Power cycle: a new model over the same register memory, wire and clients, as after a cold
   * start (all counters, the fault log and injection switches cleared; registers at reset
   * values; a queue wire emptied). Config space and the clients' DMA windows are kept.
   */
  powerCycle(): void {
    this.history.retire(this.port.stats());
    this.port = new Port(this.portOptions);
    this.vfio.attach(this.port);
    this.queue?.clear();
  }

  /** What the models replaced by power cycles counted (zeros before the first). */
  retired(): RetiredCounts {
    return this.history.counts;
  }

  /** Transport state for `stats`. */
  transport(): Record<string, unknown> {
    return {
      busMaster: this.busMaster,
      dmaAccesses: this.dma.accesses,
      busMasterChanges: this.busMasterWatch.report(),
      vfioUser: {
        socket: this.vfio.server.socketPath,
        connected: this.vfio.server.connected,
        ...this.vfio.server.stats,
        ...this.vfio.events,
        dmaWindows: this.vfio.server.dma.count,
      },
      sysfs: this.sysfs === null ? null : { dir: this.sysfs.dir, clientPid: this.sysfs.clientPid },
    };
  }

  /** Stops serving and releases shared memory; the wire belongs to the caller. Idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.vfio.close();
    this.sysfs?.close();
    this.memfd?.close();
  }

  /** The sysfs client left: stop DMA (reset) before its memory goes, fall back to vfio-user. */
  private clientGone(): void {
    this.port.reset();
    this.dma.use(this.vfio.server.dma);
  }
}
