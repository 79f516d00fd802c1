/*
 * Handing queues to Worker threads, main-thread side. exportQueues() suspends RX q + TX q of
 * each listed device, empties their pools into shared blocks (pool-handoff.ts) and returns a
 * plain object of native addresses that a Worker passes to attachQueues() (attach.ts). The
 * rings, slot tables, counters and ring positions already live in memory every thread sees
 * (queue-state.ts), so nothing else moves. reclaimQueue() takes a queue back once the Worker
 * detached. Who owns a queue pair is one word in its state area (OWNER_*).
 */
import type { Mmio, MmioWord } from "@dataplane/pci";
import { addressOf } from "@dataplane/sys";
import { IxgbeError } from "./errors.ts";
import {
  type ExportedBarArea,
  type ExportedQueue,
  type ExportedRing,
  HANDOFF_FORMAT,
  type QueueHandoff,
} from "./handoff-format.ts";
import type { BufferPool } from "./pool.ts";
import { checkHandoffPool, type ExportedPool, PoolHandoff } from "./pool-handoff.ts";
import {
  OWNER_ATTACHED,
  OWNER_DETACHED,
  OWNER_EXPORTED,
  OWNER_MAIN,
  type QueueArea,
  STATE_OWNER,
} from "./queue-state.ts";
import * as RX from "./regs/receive.ts";
import * as TX from "./regs/transmit.ts";
import type { RingSlice } from "./rings.ts";
import type { RxQueue } from "./rx-queue.ts";
import type { TxQueue } from "./tx-queue.ts";

export {
  type ExportedBarArea,
  type ExportedQueue,
  type ExportedRing,
  HANDOFF_FORMAT,
  type QueueHandoff,
} from "./handoff-format.ts";
export type { ExportedPool } from "./pool-handoff.ts";

/** What a device lends handoff code about queue pair q (IxgbeDevice.handoffParts). */
export interface QueueParts {
  readonly name: string;
  readonly queue: number;
  readonly bar0: Mmio;
  readonly rx: RxQueue;
  readonly tx: TxQueue;
  readonly rxRing: RingSlice;
  readonly txRing: RingSlice;
  readonly rxArea: QueueArea;
  readonly txArea: QueueArea;
  /** Every queue of the device, to check that no queue left behind shares a pool. */
  readonly allRx: readonly RxQueue[];
  readonly allTx: readonly TxQueue[];
}

/** Something that can lend its queue parts: an IxgbeDevice. */
export interface HandoffSource {
  handoffParts(queue: number): QueueParts;
}

/** Main-thread record of an exported queue pair, keyed by its RX queue object. */
interface Record {
  readonly pools: PoolHandoff[];
}
const records = new WeakMap<RxQueue, Record>();
/** Pools of queues given up by force: kept mapped (a late detach writes there) until close. */
const abandoned = new WeakMap<RxQueue, PoolHandoff[]>();
/** Pools currently handed off, shared by all exports that use them. */
const pools = new Map<BufferPool, PoolHandoff>();

/**
 * Hands RX q + TX q of each listed device to another thread. Afterwards those queues do
 * nothing here (rxBatch/txBatch return 0; rxQueue(q)/txQueue(q) throw HANDED_OFF) until
 * reclaimQueue. Throws, with nothing changed: BAD_CONFIG (trapped doorbell, pool that cannot
 * travel, pool still used by a queue that stays here), HANDED_OFF (already exported).
 */
export function exportQueues(
  list: readonly { readonly device: HandoffSource; readonly queue: number }[],
): QueueHandoff {
  const parts = list.map(({ device, queue }) => device.handoffParts(queue));
  const seen = new Set<RxQueue>();
  for (const p of parts) {
    if (seen.has(p.rx)) throw bad(p, "is listed twice");
    seen.add(p.rx);
    checkParts(p);
  }
  const used = new Set<BufferPool>();
  for (const p of parts) {
    used.add(checkHandoffPool(p.rx.pool, `${p.name} RX queue ${p.queue}`));
    used.add(checkHandoffPool(p.tx.pool, `${p.name} TX queue ${p.queue}`));
  }
  checkPoolsStayTogether(parts, used);

  const exportedPools: ExportedPool[] = [];
  const index = new Map<BufferPool, number>();
  const handoffOf = (pool: BufferPool): number => {
    let k = index.get(pool);
    if (k === undefined) {
      let h = pools.get(pool);
      if (h === undefined) {
        h = new PoolHandoff(checkHandoffPool(pool, "pool"));
        pools.set(pool, h);
      }
      k = exportedPools.push(h.exported) - 1;
      index.set(pool, k);
    }
    return k;
  };
  // Pools first (the only step that can fail, on mmap), then the queues.
  const poolIndex = parts.map((p) => [handoffOf(p.rx.pool), handoffOf(p.tx.pool)]);
  const queues = parts.map((p, k): ExportedQueue => {
    p.rx.suspend();
    p.tx.suspend();
    const [rxPool, txPool] = poolIndex[k] as number[];
    const mine = [...new Set([p.rx.pool, p.tx.pool])].map((b) => pools.get(b) as PoolHandoff);
    for (const h of mine) h.refs++;
    records.set(p.rx, { pools: mine });
    Atomics.store(p.rxArea.state, STATE_OWNER, OWNER_EXPORTED);
    return {
      device: p.name,
      queue: p.queue,
      bar: doorbellAreas(p),
      rx: ring(p.rxRing, p.rx.size, p.rxArea, RX.RDT(p.queue), rxPool as number),
      tx: ring(p.txRing, p.tx.size, p.txArea, TX.TDT(p.queue), txPool as number),
    };
  });
  return { format: HANDOFF_FORMAT, pools: exportedPools, queues };
}

/**
 * Null when queue pair `parts` could be exported now (doorbells directly mapped, pools that
 * can travel, not handed off already), else the reason exportQueues would give. Pools shared
 * with queues that stay behind are not checked here (that depends on the export list).
 */
export function exportProblem(parts: QueueParts): string | null {
  try {
    checkParts(parts);
    checkHandoffPool(parts.rx.pool, `${parts.name} RX queue ${parts.queue}`);
    checkHandoffPool(parts.tx.pool, `${parts.name} TX queue ${parts.queue}`);
    return null;
  } catch (e) {
    if (e instanceof IxgbeError) return e.message;
    throw e;
  }
}

/** Options of reclaimQueue. */
export interface ReclaimOptions {
  /**
   * Take the queue back although its Worker never detached (it was terminated or crashed).
   * The ring positions and pool contents are then unknown: the queue and its pools stay out
   * of use (the hot path returns 0) until the device is closed, which frees everything. The
   * Worker must not run any more by close().
   */
  readonly force?: boolean;
}

/**
 * Takes queue pair `parts` back after its Worker called detach(). Returns true when the queue
 * runs here again, false when `force` gave up a queue whose Worker never detached. Throws
 * BAD_CONFIG (not handed off) or HANDED_OFF (still attached and no `force`).
 */
export function reclaimQueue(parts: QueueParts, options: ReclaimOptions = {}): boolean {
  const rec = records.get(parts.rx);
  if (rec === undefined) throw bad(parts, "was not handed off");
  const owner = Atomics.load(parts.rxArea.state, STATE_OWNER);
  const clean = owner === OWNER_EXPORTED || owner === OWNER_DETACHED;
  if (!clean && options.force !== true) {
    throw new IxgbeError(
      "HANDED_OFF",
      `${parts.name} queue ${parts.queue} is still attached in a Worker; stop the Worker and let it call detach(), or pass { force: true } once it was terminated`,
    );
  }
  records.delete(parts.rx);
  if (!clean) {
    abandoned.set(parts.rx, rec.pools);
    return false;
  }
  for (const h of rec.pools) h.giveBack();
  unref(rec.pools);
  Atomics.store(parts.rxArea.state, STATE_OWNER, OWNER_MAIN);
  parts.rx.resume();
  parts.tx.resume();
  return true;
}

/**
 * Releases what a forced reclaimQueue kept for RX queue `rx` (the device calls this at close,
 * when no Worker may run any more).
 */
export function releaseAbandoned(rx: RxQueue): void {
  const list = abandoned.get(rx);
  if (list === undefined) return;
  abandoned.delete(rx);
  unref(list);
}

function unref(list: readonly PoolHandoff[]): void {
  for (const h of list) {
    h.unref();
    if (h.refs === 0) for (const [p, v] of pools) if (v === h) pools.delete(p);
  }
}

/** True while the queue pair of RX queue `rx` is exported (attached or not), not reclaimed. */
export function isHandedOff(rx: RxQueue): boolean {
  return records.has(rx);
}

// The mapped areas RDT(q) and TDT(q) live in (checked by checkParts), each once.
function doorbellAreas(p: QueueParts): ExportedBarArea[] {
  const areas: ExportedBarArea[] = [];
  for (const offset of [RX.RDT(p.queue), TX.TDT(p.queue)]) {
    const word = p.bar0.word(offset) as MmioWord;
    const address = addressOf(word.view);
    if (areas.some((a) => a.address === address)) continue;
    areas.push({ address, offset: offset - 4 * word.index, bytes: word.view.byteLength });
  }
  return areas;
}

function checkParts(p: QueueParts): void {
  if (records.has(p.rx))
    throw new IxgbeError("HANDED_OFF", `${p.name} queue ${p.queue} is already handed off`);
  if (p.rx.isSuspended || p.tx.isSuspended) {
    throw bad(p, "was given up by a Worker that never detached; close and reopen the device");
  }
  for (const offset of [RX.RDT(p.queue), TX.TDT(p.queue)]) {
    const word = p.bar0.word(offset);
    if (word === null) {
      throw bad(
        p,
        "has a trapped doorbell (BAR0 is not mapped into this process, e.g. vfio-user without a shared BAR); trapped doorbells cannot be driven from a Worker, keep this queue on the main thread",
      );
    }
    const start = offset - 4 * word.index;
    if (start < 0 || start + word.view.byteLength > p.bar0.size)
      throw bad(p, `has a doorbell view at BAR0 offset ${start} that lies outside BAR0`);
  }
  const owner = Atomics.load(p.rxArea.state, STATE_OWNER);
  if (owner === OWNER_ATTACHED) throw bad(p, "is marked attached in a Worker");
}

function checkPoolsStayTogether(parts: readonly QueueParts[], used: ReadonlySet<BufferPool>) {
  const going = new Set<RxQueue | TxQueue>(parts.flatMap((p) => [p.rx, p.tx]));
  for (const p of parts) {
    for (const q of [...p.allRx, ...p.allTx]) {
      if (going.has(q) || q.isSuspended || !used.has(q.pool)) continue;
      throw bad(
        p,
        `shares a buffer pool with ${p.name} ${p.allRx.includes(q as RxQueue) ? "RX" : "TX"} queue ${q.id}, which would stay on this thread; export both together`,
      );
    }
  }
}

function ring(
  slice: RingSlice,
  size: number,
  area: QueueArea,
  tailOffset: number,
  pool: number,
): ExportedRing {
  return { ring: addressOf(slice.words), size, area: area.address, tailOffset, pool };
}

function bad(p: QueueParts, what: string): IxgbeError {
  return new IxgbeError("BAD_CONFIG", `${p.name} queue ${p.queue} ${what}`);
}
