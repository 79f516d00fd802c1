/*
 * Ctrl-C and SIGTERM: the first one asks the forwarder to stop (it finishes the interval, prints
 * the summary and cleans up); a second one means "now" and exits at once.
 */

/** Signals that stop the forwarder. */
export const STOP_SIGNALS = ["SIGINT", "SIGTERM"] as const;
/** The signal names handled. */
export type StopSignal = (typeof STOP_SIGNALS)[number];

/** What to do on the first and on a later signal. */
export interface StopSignalOptions {
  /** Set to 1 on the first signal (Atomics.store), so loops in any thread see it. */
  readonly stop: Int32Array;
  readonly onStop?: (signal: StopSignal) => void;
  /** Called on the second signal; should end the process. */
  readonly onForce: (signal: StopSignal) => void;
}

/** Installed handlers; `dispose()` removes them (idempotent). */
export interface StopSignalHandle {
  /** How many stop signals arrived so far. */
  readonly count: number;
  dispose(): void;
  [Symbol.dispose](): void;
}

/** A stop flag that can be shared with Workers: one Int32 over a SharedArrayBuffer. */
export function createStopFlag(): Int32Array {
  return new Int32Array(new SharedArrayBuffer(4));
}

/** Installs SIGINT/SIGTERM handlers for a graceful first stop and a forced second one. */
export function installStopSignals(o: StopSignalOptions): StopSignalHandle {
  let count = 0;
  let installed = true;
  const handler = (signal: StopSignal): void => {
    count++;
    if (count === 1) {
      Atomics.store(o.stop, 0, 1);
      o.onStop?.(signal);
    } else {
      o.onForce(signal);
    }
  };
  for (const s of STOP_SIGNALS) process.on(s, handler);
  const dispose = (): void => {
    if (!installed) return;
    installed = false;
    for (const s of STOP_SIGNALS) process.off(s, handler);
  };
  return {
    get count() {
      return count;
    },
    dispose,
    [Symbol.dispose]: dispose,
  };
}
