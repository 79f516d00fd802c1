/*
 * An in-memory port pair: RX makes frames out of thin air into the port's own pool, TX checks
 * and counts what it is given and hands the buffers back to the pool that owns them. No device,
 * no DMA: it measures and tests the forwarder's own work (loop, rewrite, drop handling).
 */
import type {
  PacketPool,
  Port,
  PortCounters,
  PortSet,
  TrafficReport,
  WorkerHandoff,
} from "./port.ts";

const BUFFER_SIZE = 2048;
const HEADROOM = 128;
const CRC_BYTES = 4;
/** Where the memory port stamps its 32-bit sequence number: right after the Ethernet header. */
export const SEQ_OFFSET = 14;
// Slots of a MemoryPort's counter array (a view over shared memory when a Worker counts).
const RX_PACKETS = 0;
const RX_BYTES = 1;
const TX_PACKETS = 2;
const TX_BYTES = 3;
const RX_DROPPED = 4;
const GENERATED = 5;
const REORDERED = 6;
const CORRUPTED = 7;
/** Length of a MemoryPort's counter array. */
export const MEMORY_STAT_SLOTS = 8;

/** A LIFO pool of fixed 2 KiB buffers in an ordinary ArrayBuffer (the mempool's shape). */
export class MemoryPool implements PacketPool {
  readonly u8: Uint8Array;
  readonly dataOffset: Uint32Array;
  readonly len: Uint32Array;
  private readonly stack: Uint32Array;
  private top: number;

  constructor(readonly count: number) {
    this.u8 = new Uint8Array(count * BUFFER_SIZE);
    this.dataOffset = new Uint32Array(count);
    this.len = new Uint32Array(count);
    this.stack = new Uint32Array(count);
    for (let i = 0; i < count; i++) {
      this.dataOffset[i] = i * BUFFER_SIZE + HEADROOM;
      this.stack[i] = count - 1 - i;
    }
    this.top = count;
  }

  /** Buffers currently free. */
  get available(): number {
    return this.top;
  }

  /** Takes one free buffer index, or 0xffffffff when the pool is empty. */
  allocOne(): number {
    return this.top === 0 ? 0xffffffff : this.stack[--this.top];
  }

  freeBatch(from: Uint32Array, n: number): number {
    const stack = this.stack;
    let top = this.top;
    for (let i = 0; i < n; i++) stack[top++] = from[i];
    this.top = top;
    return n;
  }
}

/** Options of `memoryPortPair`. */
export interface MemoryPortOptions {
  readonly queues?: number;
  /** Buffers per queue pool (default 2048). */
  readonly poolSize?: number;
  /** Frame length without CRC (default 60: a 64-byte frame on the wire). */
  readonly frameSize?: number;
  /** Frames each port generates in total; Infinity (default) for an endless stream. */
  readonly frames?: number;
  /**
   * Let Workers drive the queue pairs (PortSet.workers): each Worker makes its own pair of
   * one-queue memory ports, with its share of `frames` and counters the main thread reads.
   */
  readonly workers?: boolean;
}

/** What a Worker gets for one queue pair of memory ports (see memory-workers.ts). */
export interface MemoryPairData {
  readonly names: readonly [string, string];
  readonly poolSize: number;
  readonly frameSize: number;
  /** Frames each port of the pair generates. */
  readonly budgets: readonly [number, number];
  readonly txLimits: readonly [number, number];
  /** Two MEMORY_STAT_SLOTS float64 arrays, port a then port b. */
  readonly stats: SharedArrayBuffer;
}

/**
 * One in-memory port. `txLimit` caps how many frames one txBatch accepts (set it to 0 to
 * model a full TX ring). Transmitted frames are checked: the sequence stamped on RX must grow
 * per queue (else `reordered`) and the EtherType must be intact (else `corrupted`).
 */
export class MemoryPort implements Port {
  readonly mac: Uint8Array;
  /** Max frames accepted per txBatch call. */
  txLimit = 1 << 30;
  /** Header bytes (first 16) of the last frame sent, for inspection. */
  readonly lastTx = new Uint8Array(16);
  private readonly pools: MemoryPool[];
  private readonly ownerPools: PacketPool[];
  private readonly nextSeq: Uint32Array;
  private readonly lastSeq: Float64Array;
  private readonly template: Uint8Array;
  /** Counter arrays of this port's queues that Workers drive (added to stats()). */
  private readonly remotes: Float64Array[] = [];

  constructor(
    readonly name: string,
    readonly id: number,
    readonly queues: number,
    poolSize: number,
    private readonly frameSize: number,
    private budget: number,
    /** Counters (MEMORY_STAT_SLOTS); pass a view over a SharedArrayBuffer to read them elsewhere. */
    private readonly c: Float64Array = new Float64Array(MEMORY_STAT_SLOTS),
  ) {
    this.mac = Uint8Array.of(0x02, 0x00, 0x5e, 0x00, 0x00, id & 0xff);
    this.pools = Array.from({ length: queues }, () => new MemoryPool(poolSize));
    this.ownerPools = this.pools.slice();
    this.nextSeq = new Uint32Array(queues);
    this.lastSeq = new Float64Array(queues).fill(-1);
    // Broadcast destination, our MAC as source, EtherType 0x88b5 (local experimental).
    this.template = Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0xff, 0xff, ...this.mac, 0x88, 0xb5);
  }

  /** Sets the pool that buffers sent on `queue` go back to (the peer's RX pool). */
  returnTo(queue: number, pool: PacketPool): void {
    this.ownerPools[queue] = pool;
  }

  /** Frames generated so far (including those dropped for lack of buffers), Workers' too. */
  get generated(): number {
    return this.total(GENERATED);
  }

  /** Frames sent out of sequence order, Workers' too. */
  get reordered(): number {
    return this.total(REORDERED);
  }

  /** Frames sent with a damaged EtherType, Workers' too. */
  get corrupted(): number {
    return this.total(CORRUPTED);
  }

  /** Counts the counters of a queue a Worker drives (a MEMORY_STAT_SLOTS view) in stats(). */
  addRemote(counters: Float64Array): void {
    this.remotes.push(counters);
  }

  /** Takes up to `frames` of the frames this port may still generate (for a Worker). */
  takeBudget(frames: number): number {
    const n = Math.min(frames, this.budget);
    if (Number.isFinite(n)) this.budget -= n; // an endless stream stays endless
    return n;
  }

  rxBatch(queue: number, bufs: Uint32Array, max: number): number {
    const pool = this.pools[queue];
    const { u8, dataOffset, len } = pool;
    const t = this.template;
    const c = this.c;
    let n = 0;
    while (n < max && this.budget > 0) {
      this.budget--;
      c[GENERATED] += 1;
      const b = pool.allocOne();
      if (b === 0xffffffff) {
        c[RX_DROPPED] += 1;
        continue;
      }
      const off = dataOffset[b];
      for (let k = 0; k < 14; k++) u8[off + k] = t[k];
      const seq = this.nextSeq[queue]++;
      u8[off + SEQ_OFFSET] = seq;
      u8[off + SEQ_OFFSET + 1] = seq >>> 8;
      u8[off + SEQ_OFFSET + 2] = seq >>> 16;
      u8[off + SEQ_OFFSET + 3] = seq >>> 24;
      len[b] = this.frameSize;
      bufs[n++] = b;
    }
    c[RX_PACKETS] += n;
    c[RX_BYTES] += n * (this.frameSize + CRC_BYTES);
    return n;
  }

  txBatch(queue: number, bufs: Uint32Array, count: number): number {
    const n = Math.min(count, this.txLimit);
    if (n <= 0) return 0;
    const pool = this.ownerPools[queue];
    const { u8, dataOffset, len } = pool;
    const c = this.c;
    let last = this.lastSeq[queue];
    let bytes = 0;
    for (let i = 0; i < n; i++) {
      const off = dataOffset[bufs[i]];
      const seq =
        (u8[off + SEQ_OFFSET] |
          (u8[off + SEQ_OFFSET + 1] << 8) |
          (u8[off + SEQ_OFFSET + 2] << 16) |
          (u8[off + SEQ_OFFSET + 3] << 24)) >>>
        0;
      if (seq <= last) c[REORDERED] += 1;
      last = seq;
      if (u8[off + 12] !== 0x88 || u8[off + 13] !== 0xb5) c[CORRUPTED] += 1;
      bytes += len[bufs[i]] + CRC_BYTES;
      if (i === n - 1) for (let k = 0; k < 16; k++) this.lastTx[k] = u8[off + k];
    }
    this.lastSeq[queue] = last;
    // The "wire" took the frames at once: the buffers go straight back to their owner.
    pool.freeBatch(bufs, n);
    c[TX_PACKETS] += n;
    c[TX_BYTES] += bytes;
    return n;
  }

  pool(queue: number): MemoryPool {
    return this.pools[queue];
  }

  stats(): PortCounters {
    return {
      rxPackets: this.total(RX_PACKETS),
      rxBytes: this.total(RX_BYTES),
      txPackets: this.total(TX_PACKETS),
      txBytes: this.total(TX_BYTES),
      rxDropped: this.total(RX_DROPPED),
    };
  }

  private total(slot: number): number {
    let sum = this.c[slot];
    for (const r of this.remotes) sum += r[slot];
    return sum;
  }

  /** Stops generating frames. */
  stopTraffic(): void {
    this.budget = 0;
  }
}

/** Two memory ports wired to each other, as a PortSet (the in-memory backend). */
export function memoryPortPair(o: MemoryPortOptions = {}): PortSet & {
  readonly ports: readonly [MemoryPort, MemoryPort];
} {
  const queues = o.queues ?? 1;
  const poolSize = o.poolSize ?? 2048;
  const frameSize = o.frameSize ?? 60;
  const frames = o.frames ?? Number.POSITIVE_INFINITY;
  const a = new MemoryPort("mem:0", 0, queues, poolSize, frameSize, frames);
  const b = new MemoryPort("mem:1", 1, queues, poolSize, frameSize, frames);
  for (let q = 0; q < queues; q++) {
    a.returnTo(q, b.pool(q));
    b.returnTo(q, a.pool(q));
  }
  const ports = [a, b] as const;
  const workers =
    o.workers === true ? memoryWorkers(a, b, queues, frames, poolSize, frameSize) : {};
  return {
    ports,
    ...workers,
    ringSize: 0,
    stopTraffic: () => {
      a.stopTraffic();
      b.stopTraffic();
    },
    traffic: (): TrafficReport => {
      const generated = a.generated + b.generated;
      const received = a.stats().txPackets + b.stats().txPackets;
      return {
        generated,
        received,
        lost: generated - received,
        reordered: a.reordered + b.reordered,
        duplicated: 0,
        corrupted: a.corrupted + b.corrupted,
        latencyNs: null,
        sinkOk: true,
        sinkReasons: [],
      };
    },
    close: () => {},
  };
}

// Main-thread side of Workers over memory ports: counters in shared memory, frames shared out.
function memoryWorkers(
  a: MemoryPort,
  b: MemoryPort,
  queues: number,
  frames: number,
  poolSize: number,
  frameSize: number,
): { workers: WorkerHandoff } {
  const share = (q: number): number =>
    Number.isFinite(frames)
      ? Math.floor(frames / queues) + (q < frames % queues ? 1 : 0)
      : Number.POSITIVE_INFINITY;
  return {
    workers: {
      module: new URL("./memory-workers.ts", import.meta.url).href,
      exportPair(queue: number): MemoryPairData {
        const stats = new SharedArrayBuffer(2 * MEMORY_STAT_SLOTS * 8);
        a.addRemote(new Float64Array(stats, 0, MEMORY_STAT_SLOTS));
        b.addRemote(new Float64Array(stats, MEMORY_STAT_SLOTS * 8, MEMORY_STAT_SLOTS));
        return {
          names: [a.name, b.name],
          poolSize,
          frameSize,
          budgets: [a.takeBudget(share(queue)), b.takeBudget(share(queue))],
          txLimits: [a.txLimit, b.txLimit],
          stats,
        };
      },
      reclaimPair: () => true, // nothing of the main thread's ports went away
    },
  };
}
