/*
 * One port as a vfio-user device. BAR0 (region 0, 512 KiB) is shared memory: the RX/TX queue
 * register pages are mmappable areas (the Port watches them with syncMapped), everything else is
 * trapped into Port.mmioRead/mmioWrite with its exact side effects. BAR4 holds the MSI-X table
 * as plain storage (interrupts are routed with SET_IRQS, not through the table). MSI-X vector v
 * of the model goes to the client's eventfd for IRQ index 2 (INTx carries vector 0 otherwise).
 *
 * Sub-word BAR0 accesses (the 82599 wants 32-bit ones): a 1/2-byte read returns those bytes of
 * one full trapped read (its side effects apply once); a 1/2-byte write merges the new bytes
 * into the register's stored value (no read side effect) and writes the whole word.
 */
import {
  type ResetReason,
  type VfioUserDeviceModel,
  VfioUserServer,
  type VfioUserServerOptions,
} from "@dataplane/vfio";
import { IxgbeSimError } from "../errors.ts";
import { MSIX_BAR, MSIX_BAR_BYTES } from "../model/config-space.ts";
import type { Port } from "../model/port.ts";
import { BAR_BYTES, type MappedRange } from "../model/register-map.ts";
import { clearBusMaster, configWritableMask } from "./config.ts";

/** IRQ indexes and counts offered: INTx 1, MSI 0, MSI-X 64. */
export const IRQ_COUNTS: readonly number[] = [1, 0, 64, 0, 0];
const IRQ_INTX = 0;
const IRQ_MSIX = 2;

/** What serveVfioUser needs. */
export interface VfioUserPortOptions {
  /** Socket path to listen on (a stale socket file is replaced). */
  readonly socketPath: string;
  /** fd of the BAR0 shared memory (0x80000 bytes), sent to the client for the mmap areas. */
  readonly barFd: number;
  /** BAR0 ranges the client may mmap (page-aligned); the Port must watch the same ones. */
  readonly mmapAreas: readonly MappedRange[];
  /** Config space bytes (4096), owned by the caller; client writes land here. */
  readonly config: Uint8Array;
  /** Log line sink. */
  readonly log?: (line: string) => void;
  /** Extra server options. */
  readonly server?: VfioUserServerOptions;
}

/** A port served over vfio-user. Build it, build the Port with `dma`, then attach(port). */
export class VfioUserPort {
  /** The generic vfio-user server (its `dma` is the client's memory). */
  readonly server: VfioUserServer;
  /** Client disconnects and reset requests seen. */
  readonly events = { disconnects: 0, resetRequests: 0 };
  private port: Port | null = null;
  private readonly msix = new Uint32Array(MSIX_BAR_BYTES >>> 2);

  constructor(private readonly options: VfioUserPortOptions) {
    const model: VfioUserDeviceModel = {
      config: { bytes: options.config, writableMask: configWritableMask() },
      regions: this.regions(),
      irqCounts: IRQ_COUNTS,
      reset: (reason) => this.reset(reason),
    };
    try {
      this.server = new VfioUserServer(options.socketPath, model, {
        log: options.log,
        ...options.server,
      });
    } catch (e) {
      throw new IxgbeSimError(
        "SERVE_FAILED",
        `cannot serve vfio-user on ${options.socketPath}: ${(e as Error).message}`,
        { cause: e },
      );
    }
  }

  /** Connects the model; register accesses before this read 0 and are dropped. */
  attach(port: Port): void {
    this.port = port;
  }

  /** Delivers model vector `vector`: MSI-X eventfd if routed, else INTx for vector 0. */
  irq(vector: number): void {
    if (!this.server.triggerIrq(IRQ_MSIX, vector) && vector === 0) {
      this.server.triggerIrq(IRQ_INTX, 0);
    }
  }

  /** Stops serving: drops the client, removes the socket file. Idempotent. */
  close(): void {
    this.server.close();
  }

  private regions(): VfioUserDeviceModel["regions"] {
    const bar0 = {
      size: BAR_BYTES,
      mmap: {
        fd: this.options.barFd,
        fileOffset: 0,
        areas: this.options.mmapAreas.map((r) => ({ offset: r.start, size: r.end - r.start })),
      },
      read: (offset: number, bytes: number) => this.read(offset, bytes),
      write: (offset: number, bytes: number, value: number) => this.write(offset, bytes, value),
    };
    const msix = this.msix;
    const table = {
      size: MSIX_BAR_BYTES,
      read: (offset: number, bytes: number) => sub(msix[offset >>> 2] as number, offset, bytes),
      write: (offset: number, bytes: number, value: number) => {
        msix[offset >>> 2] = merge(msix[offset >>> 2] as number, offset, bytes, value);
      },
    };
    const regions: (typeof bar0 | typeof table | undefined)[] = [bar0];
    regions[MSIX_BAR] = table;
    return regions;
  }

  private read(offset: number, bytes: number): number {
    const port = this.port;
    if (port === null) return 0;
    const v = port.mmioRead(offset & ~3);
    return bytes === 4 ? v >>> 0 : sub(v, offset, bytes);
  }

  private write(offset: number, bytes: number, value: number): void {
    const port = this.port;
    if (port === null) return;
    if (bytes === 4) {
      port.mmioWrite(offset, value >>> 0);
      return;
    }
    const word = offset & ~3;
    port.mmioWrite(word, merge(port.bar[word >>> 2] as number, offset, bytes, value));
  }

  private reset(reason: ResetReason): void {
    if (reason === "disconnect") {
      this.events.disconnects++;
      clearBusMaster(this.options.config); // like vfio-pci on release: no DMA until re-enabled
    } else {
      this.events.resetRequests++;
    }
    this.port?.reset();
  }
}

/** Bytes [offset, offset+bytes) of a little-endian word, shifted down. */
function sub(word: number, offset: number, bytes: number): number {
  if (bytes === 4) return word >>> 0;
  const shift = (offset & 3) * 8;
  const mask = bytes === 1 ? 0xff : 0xffff;
  return (word >>> shift) & mask;
}

/** `word` with bytes [offset, offset+bytes) replaced by `value`. */
function merge(word: number, offset: number, bytes: number, value: number): number {
  const shift = (offset & 3) * 8;
  const mask = (bytes === 4 ? 0xffffffff : bytes === 2 ? 0xffff : 0xff) << shift;
  return ((word & ~mask) | ((value << shift) & mask)) >>> 0;
}
