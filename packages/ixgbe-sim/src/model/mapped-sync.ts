/*
 * Finding client stores in mapped BAR0 memory and publishing statistics there. A full pass
 * costs one Atomics.load per watched word (544 words over vfio-user, ~1.5 us) plus ~80
 * counter stores, too much for every pass of a busy loop that moves a few dozen frames per
 * pass. So the busy loop calls poll(): one slice of the watch list per call (the whole list is
 * covered every few calls, microseconds apart under load; the first store found triggers a full
 * pass) and statistics republished at most every PUBLISH_NS. sync() is the full pass (idle
 * loop, manual clock, tests).
 */

import type { Port } from "./port.ts";
import { ARG, K, KIND, PARTNER, PRIMARY } from "./register-map.ts";
import { STAT_REGISTERS } from "./stats.ts";
import { writeRegister } from "./write.ts";

/** Watched words checked per poll() (~160 ns). */
export const POLL_SLICE_WORDS = 64;
/** Least time between two statistics publications from poll(), ns. */
export const PUBLISH_NS = 100_000;

/** The mapped-register bookkeeping of one port. */
export class MappedSync {
  private cursor = 0;
  private publishedVersion = -1;
  private publishedAt = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly port: Port,
    /** Words whose client stores have side effects (or must be undone). */
    private readonly watch: Int32Array,
    /** Statistics words the model keeps current in mapped memory. */
    private readonly publish: Int32Array,
  ) {}

  /** Full pass: every watched word, then statistics if they changed. Returns words changed. */
  sync(now: number): number {
    this.port.core.resetInPass = false;
    const changed = this.scan(0, this.watch.length);
    this.cursor = 0;
    this.publishStats(now);
    return changed;
  }

  /** One slice of the watch list; statistics at most every PUBLISH_NS. Returns words changed. */
  poll(now: number): number {
    const n = this.watch.length;
    if (n === 0 && this.publish.length === 0) return 0;
    let from = this.cursor;
    if (from >= n) from = 0;
    const to = Math.min(n, from + POLL_SLICE_WORDS);
    this.cursor = to;
    this.port.core.resetInPass = false;
    let changed = this.scan(from, to);
    if (changed > 0) {
      // A client store turned up: the driver is configuring the card. The card would have applied
      // every store already made, so apply all pending ones now, in this pass; otherwise a later
      // store seen in an earlier slice (a queue enable) could take effect before an earlier one in
      // a later slice (the RSS key) and frames would meet half a configuration. Steady traffic
      // stores only tails, which are not watched, so this costs nothing while frames flow.
      changed += this.scan(0, n);
      this.cursor = 0;
    }
    if (now - this.publishedAt >= PUBLISH_NS) this.publishStats(now);
    return changed;
  }

  /** Applies client stores found in watch[from..to). */
  private scan(from: number, to: number): number {
    const c = this.port.core;
    const bar = c.bar;
    // Compared as int32: Uint32Array reads of values >= 2^31 are doubles and make JSC's
    // int32 speculation fail (a 10x slower scan).
    const barI = c.barI32;
    const shadowI = c.shadowI32;
    const shadow = c.shadow;
    const watch = this.watch;
    let changed = 0;
    for (let i = from; i < to; i++) {
      const w = watch[i];
      if (Atomics.load(barI, w) === shadowI[w]) continue;
      const v = bar[w];
      const old = shadow[w];
      changed++;
      shadow[w] = v;
      const p = PRIMARY[w];
      const kind = KIND[p];
      if (kind === K.RO || kind === K.STATUS || kind === K.LINKS) {
        c.set(w, old); // read-only: the client's store does not stick
        continue;
      }
      c.storeFromMemory = true;
      const taken = writeRegister(this.port, p, v, p === w ? old : (shadow[p] as number));
      c.storeFromMemory = false;
      if (!taken) {
        c.set(w, old); // refused (device in reset): the store does not stick
        continue;
      }
      const partner = PARTNER[p];
      if (p !== w) c.set(w, bar[p]);
      else if (partner >= 0) c.set(partner, bar[p]);
    }
    return changed;
  }

  /** Republishes every mapped statistics word when the counters moved since last time. */
  private publishStats(now: number): void {
    const c = this.port.core;
    const publish = this.publish;
    if (publish.length === 0 || this.publishedVersion === c.statsVersion) return;
    this.publishedVersion = c.statsVersion;
    this.publishedAt = now;
    for (let i = 0; i < publish.length; i++) {
      const w = publish[i];
      c.set(w, c.counters.peek(STAT_REGISTERS[ARG[w]]));
    }
  }
}
