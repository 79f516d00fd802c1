/*
 * cable:<port>: two wire ends joined back to back, so what one port transmits the other
 * receives. Each direction is a bounded ring of fixed-size frame slots in anonymous memory;
 * a push into a full ring drops the frame and counts it. Both ends must be driven from one
 * thread (the device loop), so the rings need no atomics.
 */
import { constants as K, mmap, munmap, viewOf } from "@dataplane/sys";
import { RangeCopier } from "./copy.ts";
import type { Wire } from "./wire.ts";

/** Bytes per slot: the largest frame the model handles (9018-byte jumbo) rounded up. */
export const CABLE_SLOT_BYTES = 9216;

/** One direction of a cable: a single-producer, single-consumer ring of frame slots. */
export class FrameRing {
  /** Frames accepted, taken, and dropped because the ring was full (or the frame too long). */
  pushed = 0;
  popped = 0;
  dropped = 0;
  bytes = 0;
  private head = 0; // next slot to read (counts up forever; slot = head % slots)
  private tail = 0; // next slot to write
  private capacity: number; // slots while open, 0 after close (every put drops)
  private readonly lengths: Uint32Array;
  private data: Uint8Array;
  private readonly address: number;
  private readonly copier = new RangeCopier();

  constructor(readonly slots: number) {
    this.capacity = slots;
    this.lengths = new Uint32Array(slots);
    const bytes = slots * CABLE_SLOT_BYTES;
    this.address = mmap(bytes, K.PROT_READ | K.PROT_WRITE, K.MAP_PRIVATE | K.MAP_ANONYMOUS);
    this.data = new Uint8Array(viewOf(this.address, bytes));
  }

  /** Frames waiting. */
  get size(): number {
    return this.tail - this.head;
  }

  /** Copies a frame in; false (and counted) when the ring is full or the frame too long. */
  put(src: Uint8Array, off: number, len: number): boolean {
    if (this.tail - this.head >= this.capacity || len > CABLE_SLOT_BYTES) {
      this.dropped++;
      return false;
    }
    const slot = this.tail % this.slots;
    this.copier.copy(this.data, slot * CABLE_SLOT_BYTES, src, off, len);
    this.lengths[slot] = len;
    this.tail++;
    this.pushed++;
    this.bytes += len;
    return true;
  }

  /** Copies the oldest frame out (at most maxLen bytes); returns its full length, or 0. */
  take(dst: Uint8Array, off: number, maxLen: number): number {
    if (this.head === this.tail) return 0;
    const slot = this.head % this.slots;
    const len = this.lengths[slot] as number;
    this.copier.copy(dst, off, this.data, slot * CABLE_SLOT_BYTES, Math.min(len, maxLen));
    this.head++;
    this.popped++;
    return len;
  }

  /** Unmaps the slots. Idempotent; afterwards take() finds nothing and put() drops. */
  close(): void {
    if (this.capacity === 0) return;
    this.capacity = 0;
    this.head = this.tail;
    this.data = new Uint8Array(0);
    this.copier.clear();
    munmap(this.address, this.slots * CABLE_SLOT_BYTES);
  }
}

/** One end of a cable: pull() takes from `inbound`, push() puts into `outbound`. */
export class CableWire implements Wire {
  private closed = false;

  constructor(
    readonly spec: string,
    readonly port: string,
    readonly peer: string,
    private readonly inbound: FrameRing,
    private readonly outbound: FrameRing,
    private readonly release: () => void,
  ) {}

  pull(dst: Uint8Array, offset: number, maxLen: number): number {
    return this.inbound.take(dst, offset, maxLen);
  }

  push(src: Uint8Array, offset: number, len: number): void {
    this.outbound.put(src, offset, len);
  }

  tick(_nowNs: number): void {}

  stats(): Record<string, unknown> {
    return {
      kind: "cable",
      spec: this.spec,
      port: this.port,
      peer: this.peer,
      sent: this.outbound.pushed,
      sentBytes: this.outbound.bytes,
      dropped: this.outbound.dropped,
      received: this.inbound.popped,
      waiting: this.inbound.size,
    };
  }

  /** Closes this end; the rings are unmapped when both ends are closed. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.release();
  }
}

/** Builds both ends of a cable between ports `a` and `b`, each ring holding `slots` frames. */
export function cablePair(a: string, b: string, slots: number): [CableWire, CableWire] {
  const ab = new FrameRing(slots);
  let ba: FrameRing;
  try {
    ba = new FrameRing(slots);
  } catch (e) {
    ab.close();
    throw e;
  }
  let open = 2;
  const release = () => {
    if (--open > 0) return;
    ab.close();
    ba.close();
  };
  return [
    new CableWire(`cable:${b}`, a, b, ba, ab, release),
    new CableWire(`cable:${a}`, b, a, ab, ba, release),
  ];
}
