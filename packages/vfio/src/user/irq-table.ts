/*
 * The eventfds a client routed IRQ vectors to (DEVICE_SET_IRQS). The server owns these fds:
 * they are closed when replaced, de-assigned, or when the client goes away. trigger() is
 * called by the model per interrupt, so it allocates nothing.
 */
import { write } from "@dataplane/sys";
import { closeAll } from "./channel.ts";

/** eventfd counters take a u64 increment; this is 1, little-endian. */
const ONE = new Uint8Array([1, 0, 0, 0, 0, 0, 0, 0]);

/** Per IRQ index and vector, the eventfd the client routed it to (-1 = none). */
export class IrqTable {
  private readonly fds: Int32Array[];

  constructor(readonly counts: readonly number[]) {
    this.fds = counts.map((n) => new Int32Array(n).fill(-1));
  }

  /** Vectors of IRQ `index` (0 for an unknown index). */
  count(index: number): number {
    return this.fds[index]?.length ?? 0;
  }

  /** Whether vector `vector` of IRQ `index` has an eventfd. */
  has(index: number, vector: number): boolean {
    const t = this.fds[index];
    return t !== undefined && vector >= 0 && vector < t.length && (t[vector] as number) >= 0;
  }

  /** Routes vectors start.. to `fds` (ownership moves here), closing fds they replace. */
  assign(index: number, start: number, fds: readonly number[]): void {
    const t = this.fds[index] as Int32Array;
    for (let i = 0; i < fds.length; i++) {
      const old = t[start + i] as number;
      if (old >= 0) closeAll([old]);
      t[start + i] = fds[i] as number;
    }
  }

  /** De-assigns `count` vectors from `start` (all of them with count = -1). */
  clear(index: number, start = 0, count = -1): void {
    const t = this.fds[index];
    if (t === undefined) return;
    const end = count < 0 ? t.length : Math.min(t.length, start + count);
    for (let i = start; i < end; i++) {
      const fd = t[i] as number;
      if (fd >= 0) closeAll([fd]);
      t[i] = -1;
    }
  }

  /** De-assigns every vector of every index. */
  clearAll(): void {
    for (let i = 0; i < this.fds.length; i++) this.clear(i);
  }

  /** Signals vector `vector` of IRQ `index`. False when it has no eventfd (or the write failed). */
  trigger(index: number, vector: number): boolean {
    const t = this.fds[index];
    if (t === undefined || vector < 0 || vector >= t.length) return false;
    const fd = t[vector] as number;
    if (fd < 0) return false;
    try {
      return write(fd, ONE, 8) === 8;
    } catch {
      return false; // counter saturated (not possible in practice) or fd broken
    }
  }
}
