/*
 * Bounded polling for setup steps. The datasheet's "poll until the bit is set" loops have no
 * limit in ixy; here every wait has a deadline so a silent device becomes an error, not a hang.
 */

/** Resolves after `ms` milliseconds. */
export const sleep = (ms: number): Promise<void> => Bun.sleep(ms);

/**
 * Calls `read` every `intervalMs` until `done(value)` holds or `timeoutMs` passed; returns the
 * last value and whether it succeeded. Always reads at least once, and once more after the
 * deadline, so a zero timeout still checks.
 */
export async function pollUntil(
  read: () => number,
  done: (value: number) => boolean,
  timeoutMs: number,
  intervalMs = 1,
): Promise<{ ok: boolean; value: number }> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const value = read();
    if (done(value)) return { ok: true, value };
    if (performance.now() >= deadline) return { ok: false, value };
    await sleep(Math.min(intervalMs, Math.max(0, deadline - performance.now())));
  }
}
