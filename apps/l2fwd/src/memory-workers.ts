/*
 * Worker side of in-memory ports: a queue pair becomes two one-queue MemoryPorts made inside
 * the Worker, counting into the shared arrays the main thread's ports add to their stats.
 */
import { MEMORY_STAT_SLOTS, type MemoryPairData, MemoryPort } from "./memory-port.ts";
import type { AttachedPorts } from "./port.ts";

/** Builds the pair `exportPair` described (the WorkerHandoff `attachPorts` export). */
export function attachPorts(data: unknown): AttachedPorts {
  const d = data as MemoryPairData;
  const port = (k: 0 | 1) =>
    new MemoryPort(
      d.names[k],
      k,
      1,
      d.poolSize,
      d.frameSize,
      d.budgets[k],
      new Float64Array(d.stats, k * MEMORY_STAT_SLOTS * 8, MEMORY_STAT_SLOTS),
    );
  const a = port(0);
  const b = port(1);
  a.returnTo(0, b.pool(0));
  b.returnTo(0, a.pool(0));
  a.txLimit = d.txLimits[0];
  b.txLimit = d.txLimits[1];
  return {
    a,
    b,
    queue: 0,
    stopTraffic: () => {
      a.stopTraffic();
      b.stopTraffic();
    },
    detach: () => {},
  };
}
