/*
 * The ready line: the first line a simulator process prints on stdout once it serves (its
 * ports' device specs and the control socket). Read by startSim and by the
 * --process-per-port front for each of its port processes.
 */
import { IxgbeSimError } from "../errors.ts";
import type { ReadyInfo } from "./sim.ts";

/**
 * Waits up to `timeoutMs` for `proc`'s ready line. Throws IxgbeSimError TIMEOUT, or
 * START_FAILED when the process exits first or prints something else; `tail` adds its log.
 */
export async function readyLine(
  proc: { readonly stdout: ReadableStream<Uint8Array>; readonly exited: Promise<number> },
  timeoutMs: number,
  tail: () => string,
): Promise<ReadyInfo> {
  const reader = proc.stdout.getReader();
  const decoder = new TextDecoder();
  let text = "";
  const deadline = Date.now() + timeoutMs;
  let timer: Timer | undefined;
  const timeout = new Promise<"timeout">((resolve) => {
    timer = setTimeout(() => resolve("timeout"), timeoutMs);
  });
  try {
    while (!text.includes("\n")) {
      const r = await Promise.race([reader.read(), timeout]);
      if (r === "timeout" || Date.now() > deadline) {
        throw new IxgbeSimError(
          "TIMEOUT",
          `ixgbe-sim printed no ready line within ${timeoutMs} ms\n${tail()}`,
        );
      }
      if (r.done) {
        const code = await proc.exited;
        throw new IxgbeSimError(
          "START_FAILED",
          `ixgbe-sim exited with code ${code} before it was ready:`,
        );
      }
      text += decoder.decode(r.value, { stream: true });
    }
  } finally {
    clearTimeout(timer);
    reader.releaseLock();
  }
  const line = text.slice(0, text.indexOf("\n"));
  try {
    const info = JSON.parse(line) as ReadyInfo;
    if (info.ready === true && Array.isArray(info.ports)) return info;
  } catch {
    // fall through
  }
  throw new IxgbeSimError(
    "START_FAILED",
    `ixgbe-sim printed an unexpected first line: ${line.slice(0, 200)}`,
  );
}
