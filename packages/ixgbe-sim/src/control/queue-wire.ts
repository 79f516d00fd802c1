/*
 * QueueWire ("queue"): a wire driven through the control socket. `inject` queues frames that
 * then arrive on the port; frames the port transmits are kept until `sent` takes them. For
 * tests and debugging, not for load: it allocates per frame. Both queues are bounded.
 */
import type { Wire } from "../wire/wire.ts";

/** Frames kept in each direction before new ones are dropped. */
export const QUEUE_WIRE_LIMIT = 4096;

/** The wire spec text that selects a QueueWire. */
export const QUEUE_WIRE_SPEC = "queue";

/** A wire fed and drained by control commands. */
export class QueueWire implements Wire {
  readonly spec = QUEUE_WIRE_SPEC;
  private readonly inbound: Uint8Array[] = [];
  private readonly outbound: Uint8Array[] = [];
  private injected = 0;
  private transmitted = 0;
  private dropped = 0;

  /** Queues a frame (no FCS) to arrive on the port. False when the queue is full. */
  inject(frame: Uint8Array): boolean {
    if (this.inbound.length >= QUEUE_WIRE_LIMIT) {
      this.dropped++;
      return false;
    }
    this.inbound.push(frame);
    this.injected++;
    return true;
  }

  /** Takes every frame transmitted since the last call, oldest first. */
  drain(): Uint8Array[] {
    return this.outbound.splice(0);
  }

  /** Forgets queued frames in both directions (counters stay). */
  clear(): void {
    this.inbound.length = 0;
    this.outbound.length = 0;
  }

  pull(dst: Uint8Array, offset: number, maxLen: number): number {
    const f = this.inbound.shift();
    if (f === undefined) return 0;
    dst.set(f.length <= maxLen ? f : f.subarray(0, maxLen), offset);
    return f.length;
  }

  push(src: Uint8Array, offset: number, len: number): void {
    this.transmitted++;
    if (this.outbound.length >= QUEUE_WIRE_LIMIT) {
      this.dropped++;
      return;
    }
    this.outbound.push(src.slice(offset, offset + len));
  }

  tick(_nowNs: number): void {}

  stats(): Record<string, unknown> {
    return {
      kind: "queue",
      injected: this.injected,
      waiting: this.inbound.length,
      transmitted: this.transmitted,
      unread: this.outbound.length,
      dropped: this.dropped,
    };
  }

  close(): void {
    this.clear();
  }
}
