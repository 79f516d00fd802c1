/*
 * PortCore: the state the register file, the RX path and the TX path share. Every model store
 * into BAR0 goes through set() so the shadow copy (used to spot client writes into mapped
 * registers) always holds what the model itself last wrote.
 */
import * as R from "@dataplane/ixgbe/regs";
import type { DmaSpace } from "../dma/dma-space.ts";
import type { Wire } from "../wire/wire.ts";
import {
  type DmaTarget,
  type FaultAction,
  FaultUnit,
  hexAddress,
  type MalformedKind,
} from "./faults.ts";
import { InterruptUnit } from "./interrupts.ts";
import { QUEUES } from "./register-map.ts";
import type { ViolationUnit } from "./rules.ts";
import { Counters } from "./stats.ts";

/** Model-internal counters (stats()), indexes into PortCore.k. */
export const KS = {
  RX_FRAMES: 0,
  RX_BYTES: 1,
  RX_DELIVERED: 2,
  DROP_RX_DISABLED: 3,
  DROP_LINK_DOWN: 4,
  DROP_FILTERED: 5,
  DROP_QUEUE_DISABLED: 6,
  DROP_NO_DESCRIPTOR: 7,
  DROP_PACKET_BUFFER_FULL: 8,
  DROP_CRC: 9,
  DROP_UNDERSIZE: 10,
  DROP_OVERSIZE: 11,
  DROP_RX_DMA_FAULT: 12,
  DROP_RX_MALFORMED: 13,
  RX_HELD: 14,
  TX_FRAMES: 15,
  TX_BYTES: 16,
  DROP_TX_MALFORMED: 17,
  DROP_TX_DMA_FAULT: 18,
  DMA_FAULTS: 19,
  MALFORMED: 20,
  RESETS: 21,
  LINK_CHANGES: 22,
  QUEUES_STOPPED: 23,
  /** Frames waiting in the packet buffer when the device was reset (the reset empties it). */
  DROP_RESET: 24,
  /** RX buffer writes dropped as posted writes to unmapped addresses (frame lost, queue runs). */
  RX_BUFFER_FAULTS: 25,
  COUNT: 26,
} as const;

const W_RXDCTL = (q: number): number => R.RXDCTL(q) >>> 2;
const W_TXDCTL = (q: number): number => R.TXDCTL(q) >>> 2;

/** Shared per-port state. Fields are all set in the constructor (one hidden class). */
export class PortCore {
  readonly shadow: Uint32Array;
  /** The same memory as `bar`, as int32 (cheap to compare; see syncMapped). */
  readonly barI32: Int32Array;
  /** The same memory as `shadow`, as int32. */
  readonly shadowI32: Int32Array;
  readonly counters = new Counters();
  readonly k = new Float64Array(KS.COUNT);
  readonly intr: InterruptUnit;
  readonly faults: FaultUnit;
  /** Model clock of the current step, ns. */
  now = 0;
  /** Bumped at the start of every step: per-queue caches compare against it. */
  stepId = 0;
  linkUp = false;
  /** Bumped when counters may have changed (mapped stat words then get republished). */
  statsVersion = 0;
  /** RAL/RAH changed: the unicast filter table must be rebuilt. */
  filterDirty = true;
  /** RSSRK changed: the Toeplitz table must be rebuilt. */
  rssKeyDirty = true;
  /**
   * True while a store found in mapped memory is applied (MappedSync): its order against other
   * stores made since the model's previous pass is unknown, which some rules must allow for.
   */
  storeFromMemory = false;
  /**
   * A store found in the mapped-memory pass now being applied started a device reset: the other
   * stores of that pass may have come before it in the driver's program order.
   */
  resetInPass = false;
  readonly rxEnabled = new Uint8Array(QUEUES);
  readonly txEnabled = new Uint8Array(QUEUES);
  /** PFQDE.QDE per queue: drop when no descriptor, like SRRCTL.DROP_EN. */
  readonly qde = new Uint8Array(QUEUES);
  readonly rxHead = new Int32Array(QUEUES);
  readonly txHead = new Int32Array(QUEUES);
  /** Enabled TX queues, in queue order; first txActiveCount entries valid. */
  readonly txActive = new Int32Array(QUEUES);
  txActiveCount = 0;
  /** Enabled RX queues, in queue order; first rxActiveCount entries valid. */
  readonly rxActive = new Int32Array(QUEUES);
  rxActiveCount = 0;
  /** RX queues whose descriptor prefetch must start over (enable, RDH write, reset). */
  readonly rxRefetch = new Uint8Array(QUEUES);

  constructor(
    readonly bar: Uint32Array,
    readonly dma: DmaSpace,
    readonly wire: Wire,
    irq: (vector: number) => void,
    faultLogSize: number,
    /** Datasheet rules broken by the client, and how strictly they are judged. */
    readonly violations: ViolationUnit,
  ) {
    this.shadow = new Uint32Array(bar.length);
    this.barI32 = new Int32Array(bar.buffer, bar.byteOffset, bar.length);
    this.shadowI32 = new Int32Array(this.shadow.buffer);
    this.faults = new FaultUnit(faultLogSize);
    this.intr = new InterruptUnit(this.barI32, (w, v) => this.set(w, v), irq);
  }

  /** Stores a register word (and its shadow). */
  set(word: number, value: number): void {
    // The client may store into a mapped register at any moment. Swap only while the word still
    // holds what the model last saw there: a racing client store then survives, the shadow keeps
    // the old value, and the next syncMapped() applies the client's store instead of losing it.
    const seen = this.shadowI32[word] as number;
    if (Atomics.compareExchange(this.barI32, word, seen, value | 0) === seen) {
      this.shadow[word] = value;
    }
  }

  /** Turns RX queue q on or off (the active list, and a fresh descriptor prefetch). */
  setRxEnabled(q: number, on: boolean): void {
    if ((this.rxEnabled[q] === 1) === on) return;
    this.rxEnabled[q] = on ? 1 : 0;
    this.rxRefetch[q] = 1;
    let n = 0;
    for (let i = 0; i < QUEUES; i++) if (this.rxEnabled[i] !== 0) this.rxActive[n++] = i;
    this.rxActiveCount = n;
  }

  /** Recomputes the list of enabled TX queues. */
  rebuildTxActive(): void {
    let n = 0;
    for (let q = 0; q < QUEUES; q++) if (this.txEnabled[q] !== 0) this.txActive[n++] = q;
    this.txActiveCount = n;
  }

  /** Stops an RX queue after a fault: RXDCTL.ENABLE reads 0, PCI exception cause raised. */
  stopRxQueue(q: number): void {
    this.setRxEnabled(q, false);
    this.set(W_RXDCTL(q), this.bar[W_RXDCTL(q)] & ~R.RXDCTL_ENABLE);
    this.k[KS.QUEUES_STOPPED]++;
    this.intr.otherEvent(R.EICR_PCI, this.now);
  }

  /** Stops a TX queue after a fault: TXDCTL.ENABLE reads 0, PCI exception cause raised. */
  stopTxQueue(q: number): void {
    this.txEnabled[q] = 0;
    this.set(W_TXDCTL(q), this.bar[W_TXDCTL(q)] & ~R.TXDCTL_ENABLE);
    this.rebuildTxActive();
    this.k[KS.QUEUES_STOPPED]++;
    this.intr.otherEvent(R.EICR_PCI, this.now);
  }

  /** Logs a DMA fault (slow path). */
  dmaFault(
    what: DmaTarget,
    dir: "rx" | "tx",
    q: number,
    lo: number,
    hi: number,
    action: boolean | FaultAction,
    injected: boolean,
  ): void {
    this.k[KS.DMA_FAULTS]++;
    this.faults.record({
      timeNs: this.now,
      type: "dma",
      what,
      direction: dir,
      queue: q,
      address: hexAddress(lo, hi),
      action: action === true ? "queue-stopped" : action === false ? "frame-dropped" : action,
      injected,
    });
  }

  /** Logs a malformed descriptor or ring setting (slow path). */
  malformed(
    what: MalformedKind,
    dir: "rx" | "tx",
    q: number,
    lo: number,
    hi: number,
    stopped: boolean,
    injected: boolean,
  ): void {
    this.k[KS.MALFORMED]++;
    this.faults.record({
      timeNs: this.now,
      type: "malformed",
      what,
      direction: dir,
      queue: q,
      address: lo === 0 && hi === 0 ? "" : hexAddress(lo, hi),
      action: stopped ? "queue-stopped" : "frame-dropped",
      injected,
    });
  }
}
