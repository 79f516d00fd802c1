/*
 * Worker for test/handoff.test.ts: attaches the queue pairs it is sent (port A queue q and
 * port B queue q), forwards both ways with the touch rewrite until `stop[0]` becomes 1, then
 * detaches and reports. Errors go back to the test with their stack.
 */
import { attachQueues, type QueueHandoff, type RxQueue, type TxQueue } from "../../src/index.ts";

declare const self: Worker;

interface Start {
  readonly handoff: QueueHandoff;
  readonly stop: Int32Array;
}

self.onmessage = (ev: MessageEvent<Start>) => {
  const { handoff, stop } = ev.data;
  try {
    const attachment = attachQueues(handoff);
    const [a, b] = attachment.queues;
    if (!a || !b) throw new Error(`expected two queue pairs, got ${attachment.queues.length}`);
    self.postMessage({ type: "attached", pools: attachment.pools.length });
    const bufs = new Uint32Array(32);
    let moved = 0;
    while (Atomics.load(stop, 0) === 0) {
      moved += pass(a.rx, b.tx, bufs) + pass(b.rx, a.tx, bufs);
    }
    attachment.detach();
    self.postMessage({ type: "detached", moved });
  } catch (e) {
    const err = e as Error;
    self.postMessage({ type: "error", message: err.message, stack: err.stack });
  }
};

function pass(rx: RxQueue, tx: TxQueue, bufs: Uint32Array): number {
  const n = rx.rxBatch(bufs, bufs.length);
  if (n === 0) return 0;
  const { u8, dataOffset } = rx.pool;
  for (let i = 0; i < n; i++) {
    const off = dataOffset[bufs[i] as number] as number;
    u8[off + 1] = (u8[off + 1] as number) + 1;
  }
  const sent = tx.txBatch(bufs, n);
  for (let i = sent; i < n; i++) rx.pool.freeOne(bufs[i] as number);
  return n;
}
