/*
 * Device-specific stop hooks, run after Bus Master Enable is cleared and before the memory goes:
 * data, one entry per device family. Each returns a line for the log and throws when the device
 * did not confirm the stop in time.
 */
import { DmaGuardError } from "./errors.ts";

/** Names of the stop hooks. */
export const STOP_HOOKS = ["82599", "none"] as const;
export type StopHook = (typeof STOP_HOOKS)[number];

// 82599 datasheet 8.2.3.1.1 (CTRL): bit 26 RST resets the whole device, DMA engines included,
// and self-clears when the reset is done; 4.6.3.2 asks software to poll it (ixgbe waits up to
// 10 ms on hardware; the model acknowledges at its next pass, so the deadline here is generous).
const CTRL = 0x00000 / 4;
const CTRL_RST = 1 << 26;
const RESET_DEADLINE_MS = 5000;

/** Whether a hook needs BAR0 mapped. */
export const needsBar = (hook: StopHook): boolean => hook === "82599";

/** Runs `hook` against BAR0 (`registers`). */
export function runStopHook(hook: StopHook, registers: Uint32Array | null): string {
  if (hook === "none") return "no device-specific stop";
  if (registers === null)
    throw new DmaGuardError("NO_DEVICE", "the 82599 stop hook needs BAR0 (resource0) mapped");
  // A plain store to device memory (no Atomics write on a BAR); the read back polls with
  // Atomics.load so the JIT cannot hoist it out of the loop.
  registers[CTRL] = ((registers[CTRL] as number) | CTRL_RST) >>> 0;
  const words = new Int32Array(registers.buffer, registers.byteOffset, 1);
  const end = Date.now() + RESET_DEADLINE_MS;
  while ((Atomics.load(words, 0) & CTRL_RST) !== 0) {
    if (Date.now() > end) {
      throw new DmaGuardError(
        "NO_DEVICE",
        `82599 CTRL.RST did not self-clear within ${RESET_DEADLINE_MS} ms`,
      );
    }
    Bun.sleepSync(1);
  }
  return "82599 reset (CTRL.RST) done";
}
