/*
 * Entry point of a forwarding Worker (started by workers.ts): pin, attach one queue pair
 * through the port set's WorkerHandoff module, wait for CONTROL_GO, run the same QueueForwarder loop as the
 * single-thread path with its counters in shared memory, then on CONTROL_DRAIN (or the run's
 * stop flag) stop generated traffic and keep forwarding, and on CONTROL_STOP detach and report.
 */
import { allowedCpus, pinThread } from "@dataplane/sys";
import { COUNTER_SLOTS, QueueForwarder } from "./forward.ts";
import type { AttachedPorts, AttachPorts } from "./port.ts";
import {
  CONTROL_BUSY,
  CONTROL_DRAIN,
  CONTROL_GO,
  CONTROL_STOP,
  type WorkerReport,
  type WorkerStart,
} from "./worker-protocol.ts";

declare const self: Worker;

// Periodic checks of the flags run once per this many + 1 steps, as in pollForwarders.
const PERIOD_MASK = 0xfff;

const NEVER = new Int32Array(1);
const report = (m: WorkerReport): void => self.postMessage(m);

self.onmessage = async (ev: MessageEvent<WorkerStart>) => {
  const control = new Int32Array(ev.data.control);
  try {
    await run(ev.data);
  } catch (e) {
    const err = e instanceof Error ? e : new Error(String(e));
    report({ type: "error", message: err.message, stack: err.stack });
  } finally {
    // Nothing of the ports is touched from here on: a forced exit may unmap them now.
    Atomics.sub(control, CONTROL_BUSY, 1);
    Atomics.notify(control, CONTROL_BUSY);
  }
};

async function run(s: WorkerStart): Promise<void> {
  if (s.cpu !== null) pinThread([s.cpu]);
  const mod = (await import(s.module)) as { attachPorts?: AttachPorts };
  if (typeof mod.attachPorts !== "function") {
    throw new Error(`${s.module} has no attachPorts export; a WorkerHandoff module must have one`);
  }
  const ports: AttachedPorts = mod.attachPorts(s.data);
  let loops = 0;
  try {
    const fwd = new QueueForwarder({
      a: ports.a,
      b: ports.b,
      queue: ports.queue,
      batch: s.batch,
      mode: s.mode,
      counters: new Float64Array(s.counters, s.index * COUNTER_SLOTS * 8, COUNTER_SLOTS),
    });
    const control = new Int32Array(s.control);
    const stop = s.stop === null ? control : new Int32Array(s.stop, 0, 1);
    report({ type: "ready", cpus: allowedCpus() });
    // Blocks until the main thread took its first snapshot (a SharedArrayBuffer: wait works).
    while (Atomics.load(control, CONTROL_GO) === 0) Atomics.wait(control, CONTROL_GO, 0, 100);
    loops = forwardUntil(fwd, control, CONTROL_DRAIN, stop);
    ports.stopTraffic?.();
    loops += forwardUntil(fwd, control, CONTROL_STOP, NEVER);
  } finally {
    ports.detach();
  }
  report({ type: "done", loops });
}

// Steps `fwd` until control[word] or other[0] becomes non-zero, checked every 4096 steps.
function forwardUntil(
  fwd: QueueForwarder,
  control: Int32Array,
  word: number,
  other: Int32Array,
): number {
  let iter = 0;
  for (;;) {
    fwd.step();
    iter++;
    if ((iter & PERIOD_MASK) === 0) {
      if (Atomics.load(control, word) !== 0 || Atomics.load(other, 0) !== 0) return iter;
    }
  }
}
