/*
 * Handing queues to Worker threads, Worker side. attachQueues() rebuilds RxQueue, TxQueue and
 * Mempool objects over the memory a QueueHandoff names (views made once), so the Worker's hot
 * path is the very code the main thread runs. detach() publishes ring positions and pool
 * free lists back and hands the queues to whoever reclaims them.
 *
 * Pools are shared by queues (RX of one port, TX of the other when forwarding); a thread keeps
 * one Mempool per pool block however many handoffs name it, and returns it when the last queue
 * using it detaches.
 */
import type { Mempool } from "@dataplane/mempool";
import type { Mmio, MmioWord } from "@dataplane/pci";
import { viewOf } from "@dataplane/sys";
import { Doorbell } from "./doorbell.ts";
import { IxgbeError } from "./errors.ts";
import {
  type ExportedBarArea,
  type ExportedRing,
  HANDOFF_FORMAT,
  type QueueHandoff,
} from "./handoff.ts";
import { attachPool, type ExportedPool, returnPool } from "./pool-handoff.ts";
import {
  areaAt,
  OWNER_ATTACHED,
  OWNER_DETACHED,
  OWNER_EXPORTED,
  STATE_OWNER,
} from "./queue-state.ts";
import { DESC_BYTES } from "./regs/descriptors.ts";
import { RxQueue } from "./rx-queue.ts";
import { TxQueue } from "./tx-queue.ts";

/**
 * The mapped parts of a device's BAR0 as seen from a Worker: doorbells are plain stores to
 * the mapping (never Atomics.store on a BAR, see doorbell.ts). Offsets outside every area are not reachable from here and read as 0.
 */
class MappedAreas implements Mmio {
  readonly size: number;
  private readonly starts: number[];
  private readonly views: Uint32Array[];

  constructor(areas: readonly ExportedBarArea[]) {
    this.starts = areas.map((a) => a.offset);
    this.views = areas.map((a) => viewAt(a.address, a.bytes));
    this.size = Math.max(...areas.map((a) => a.offset + a.bytes));
  }
  read32(offset: number): number {
    const w = this.word(offset);
    return w === null ? 0 : Atomics.load(w.view, w.index) >>> 0;
  }
  write32(offset: number, value: number): void {
    const w = this.word(offset);
    if (w !== null) w.view[w.index] = value;
  }
  word(offset: number): MmioWord | null {
    for (let i = 0; i < this.starts.length; i++) {
      const view = this.views[i] as Uint32Array;
      const index = (offset - (this.starts[i] as number)) >> 2;
      if (index >= 0 && index < view.length) return { view, index };
    }
    return null;
  }
  barrier(): void {}
  close(): void {}
}

/** RX q + TX q of one device, driven by this thread. */
export interface AttachedQueue {
  readonly device: string;
  readonly queue: number;
  readonly rx: RxQueue;
  readonly tx: TxQueue;
}

interface PoolUse {
  readonly pool: Mempool;
  readonly exported: ExportedPool;
  refs: number;
}

// Per thread (module state is per Worker): pools and BAR area views by native address.
const poolsByBlock = new Map<number, PoolUse>();
const barViews = new Map<number, Uint32Array>();

/** Queues attached by one attachQueues call; detach() gives them back. */
export class QueueAttachment {
  private detached = false;

  constructor(
    /** The queues, in the order of the handoff. */
    readonly queues: readonly AttachedQueue[],
    private readonly uses: readonly PoolUse[],
    private readonly states: readonly Uint32Array[],
  ) {}

  /** The pools these queues use (each once). */
  get pools(): readonly Mempool[] {
    return this.uses.map((u) => u.pool);
  }

  /**
   * Suspends the queues (publishing their ring positions), returns every pool no other
   * attached queue of this thread still uses, and marks the queues detached so the owner can
   * reclaim them. The queue objects do nothing afterwards. Idempotent.
   */
  detach(): void {
    if (this.detached) return;
    this.detached = true;
    for (const q of this.queues) {
      q.rx.suspend();
      q.tx.suspend();
    }
    dropPools(this.uses, false);
    for (const s of this.states) Atomics.store(s, STATE_OWNER, OWNER_DETACHED);
  }

  [Symbol.dispose](): void {
    this.detach();
  }
}

/**
 * Takes over the queues of `handoff` (from exportQueues, usually through postMessage) in this
 * thread. Throws BAD_CONFIG for a malformed handoff, HANDED_OFF when a queue or pool is not
 * waiting to be attached (attached elsewhere, or reclaimed); nothing stays attached then.
 */
export function attachQueues(handoff: QueueHandoff): QueueAttachment {
  checkShape(handoff);
  const states = handoff.queues.map((q) => areaAt(q.rx.area, q.rx.size).state);
  const taken: Uint32Array[] = [];
  const uses: PoolUse[] = [];
  try {
    for (const [k, s] of states.entries()) {
      if (
        Atomics.compareExchange(s, STATE_OWNER, OWNER_EXPORTED, OWNER_ATTACHED) !== OWNER_EXPORTED
      ) {
        const q = handoff.queues[k] as QueueHandoff["queues"][number];
        throw new IxgbeError(
          "HANDED_OFF",
          `${q.device} queue ${q.queue} is not waiting for a Worker (owner state ${Atomics.load(s, STATE_OWNER)}): attached elsewhere or taken back`,
        );
      }
      taken.push(s);
    }
    for (const e of handoff.pools) uses.push(usePool(e));
  } catch (err) {
    for (const s of taken) Atomics.store(s, STATE_OWNER, OWNER_EXPORTED);
    dropPools(uses, true);
    throw err;
  }
  const queues = handoff.queues.map((q): AttachedQueue => {
    const bar = new MappedAreas(q.bar);
    const rx = rebuild(RxQueue, q.queue, q.rx, bar, uses) as RxQueue;
    const tx = rebuild(TxQueue, q.queue, q.tx, bar, uses) as TxQueue;
    return { device: q.device, queue: q.queue, rx, tx };
  });
  return new QueueAttachment(queues, uses, states);
}

/** attachQueues for a handoff of exactly one queue pair (IxgbeDevice.exportQueue). */
export function attachQueue(handoff: QueueHandoff): AttachedQueue & { detach(): void } {
  if (handoff.queues?.length !== 1) {
    throw new IxgbeError(
      "BAD_CONFIG",
      `attachQueue takes one queue pair, got ${handoff.queues?.length}; use attachQueues`,
    );
  }
  const a = attachQueues(handoff);
  return { ...(a.queues[0] as AttachedQueue), detach: () => a.detach() };
}

// Drops one reference to each pool; pools nobody here uses any more go back to their block.
function dropPools(uses: readonly PoolUse[], undo: boolean): void {
  for (const u of uses) {
    if (--u.refs > 0) continue;
    poolsByBlock.delete(u.exported.block);
    returnPool(u.exported, u.pool, undo);
  }
}

function usePool(e: ExportedPool): PoolUse {
  let u = poolsByBlock.get(e.block);
  if (u === undefined) {
    u = { pool: attachPool(e), exported: e, refs: 0 };
    poolsByBlock.set(e.block, u);
  }
  u.refs++;
  return u;
}

// One view per mapped area, shared by every queue of this thread that rings doorbells there.
function viewAt(address: number, bytes: number): Uint32Array {
  let v = barViews.get(address);
  if (v === undefined || v.byteLength !== bytes) {
    v = new Uint32Array(viewOf(address, bytes));
    barViews.set(address, v);
  }
  return v;
}

function rebuild(
  Kind: typeof RxQueue | typeof TxQueue,
  id: number,
  r: ExportedRing,
  bar: Mmio,
  uses: readonly PoolUse[],
): RxQueue | TxQueue {
  const area = areaAt(r.area, r.size);
  const ring = new Uint32Array(viewOf(r.ring, r.size * DESC_BYTES));
  const pool = (uses[r.pool] as PoolUse).pool;
  const q = new Kind(
    id,
    ring,
    area.slots,
    pool,
    new Doorbell(bar, r.tailOffset),
    r.size - 1,
    area.counters,
    area.state,
  );
  q.resume();
  return q;
}

const isAddr = (v: unknown) => Number.isSafeInteger(v) && (v as number) > 0;
const isWordCount = (v: unknown) => Number.isSafeInteger(v) && ((v as number) & 3) === 0;
const okArea = (a: ExportedBarArea) =>
  isAddr(a.address) &&
  isWordCount(a.offset) &&
  a.offset >= 0 &&
  isWordCount(a.bytes) &&
  a.bytes > 0;
const inArea = (areas: readonly ExportedBarArea[], offset: number) =>
  isWordCount(offset) && areas.some((a) => offset >= a.offset && offset + 4 <= a.offset + a.bytes);

function checkShape(h: QueueHandoff): void {
  const okRing = (r: ExportedRing | undefined, pools: number) =>
    r !== undefined &&
    isAddr(r.ring) &&
    isAddr(r.area) &&
    Number.isInteger(r.size) &&
    r.size > 0 &&
    (r.size & (r.size - 1)) === 0 &&
    Number.isInteger(r.pool) &&
    r.pool >= 0 &&
    r.pool < pools;
  const fine =
    h !== null &&
    typeof h === "object" &&
    h.format === HANDOFF_FORMAT &&
    Array.isArray(h.pools) &&
    Array.isArray(h.queues) &&
    h.pools.every((p) => isAddr(p.block) && isAddr(p.memory) && Number.isInteger(p.count)) &&
    h.queues.every(
      (q) =>
        Array.isArray(q.bar) &&
        q.bar.length > 0 &&
        q.bar.every(okArea) &&
        okRing(q.rx, h.pools.length) &&
        okRing(q.tx, h.pools.length) &&
        inArea(q.bar, q.rx.tailOffset) &&
        inArea(q.bar, q.tx.tailOffset),
    );
  if (!fine) {
    throw new IxgbeError(
      "BAD_CONFIG",
      `not a queue handoff of format ${HANDOFF_FORMAT}; pass the object exportQueues returned, unchanged`,
    );
  }
}
