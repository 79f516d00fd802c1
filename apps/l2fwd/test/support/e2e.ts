/*
 * End-to-end test helpers: l2fwd over the real driver and an ixgbe-sim process. What the
 * machine must offer (root, hugepages, tools) is checked up front: missing under CI=true is a
 * failure, elsewhere the test is skipped with the reason.
 */
import { readFileSync } from "node:fs";
import { hugepageBytesOfTree } from "@dataplane/hugemem";
import { buildConfig } from "../../src/args.ts";
import type { L2fwdConfig } from "../../src/config.ts";
import type { QueueCounts } from "../../src/device-port.ts";
import { hugepagesNeeded } from "../../src/hugepages.ts";
import type { PortCounters } from "../../src/port.ts";
import { type DevicePortSet, openPorts } from "../../src/ports.ts";
import { type RunSettings, runForwarding } from "../../src/run.ts";
import type { RunSummary } from "../../src/stats.ts";

/** HugePages_Free of the 2 MiB pool, from /proc/meminfo. */
export function hugepagesFree(): number {
  const m = /HugePages_Free:\s+(\d+)/.exec(readFileSync("/proc/meminfo", "utf8"));
  return m ? Number(m[1]) : 0;
}

/**
 * Why the end-to-end tests cannot run here, or null. Throws under CI=true, where nothing may
 * be skipped.
 */
export function missingNeeds(pages: number, tools: readonly string[] = []): string | null {
  const missing: string[] = [];
  if (process.geteuid?.() !== 0)
    missing.push("root (vfio-user DMA of hugepage memfds, TAP devices)");
  if (hugepagesFree() < pages)
    missing.push(`${pages} free 2 MiB hugepages (have ${hugepagesFree()})`);
  for (const t of tools) if (Bun.which(t) === null) missing.push(`the ${t} command`);
  if (missing.length === 0) return null;
  const why = `needs ${missing.join(", ")}`;
  if (process.env.CI === "true") throw new Error(`end-to-end test cannot run: ${why}`);
  return why;
}

/** A config for the embedded model; `o` as config-file keys (sim: { wires, rate, ... }). */
export function embeddedConfig(o: Record<string, unknown> = {}): L2fwdConfig {
  return buildConfig({}, o, new Set(Object.keys(o)));
}

/** Hugepages a config's run takes (what the precheck would ask for). */
export const pagesFor = (c: L2fwdConfig): number => hugepagesNeeded(c).pages;

/** Run settings from a config, quiet unless `out` is given. */
export function settings(c: L2fwdConfig, o: Partial<RunSettings> = {}): RunSettings {
  return { ...c, quiet: true, json: true, interval: 3600, workers: "off", ...o };
}

/** What the ports said right after the run, before they closed. */
export interface AfterRun {
  readonly queues: readonly QueueCounts[];
  readonly counters: readonly PortCounters[];
}

/**
 * Opens the embedded model's ports for `config`, forwards for `s`, closes everything and
 * waits until the model process is gone. `during` runs while forwarding (fault injection); it
 * may end a run of duration 0 with `stop()`, and is stopped itself if it throws.
 */
export async function forwardOnce(
  config: L2fwdConfig,
  s: RunSettings,
  during?: (set: DevicePortSet, stop: () => void) => Promise<void>,
  out: (line: string) => void = () => {},
): Promise<{ summary: RunSummary; set: DevicePortSet; after: AfterRun }> {
  const set = await openPorts(config, { sim: { linkDelayMs: 5 }, notice: out });
  let after: AfterRun = { queues: [], counters: [] };
  const flag = new Int32Array(1);
  const stop = () => Atomics.store(flag, 0, 1);
  try {
    const running = runForwarding(set, s, flag, out);
    if (during) {
      try {
        await during(set, stop);
      } catch (e) {
        stop();
        await running.catch(() => {});
        throw e;
      }
    }
    const summary = await running;
    after = {
      queues: set.ports.map((p) => p.queueCounts()),
      counters: set.ports.map((p) => p.stats()),
    };
    return { summary, set, after };
  } finally {
    set.close();
    await set.closed;
  }
}

/** Hugepage bytes this test process and its descendants (l2fwd, ixgbe-sim) have mapped. */
export const hugepagesOfTree = (): number => hugepageBytesOfTree();

/**
 * Waits up to `ms` for this process tree's hugepage usage to be back at `start` (a child that
 * was just stopped may still be exiting) and returns the last value seen. Its own usage, which
 * no other job on the machine moves, so the caller can compare it exactly.
 */
export async function hugepagesBack(start: number, ms = 10_000): Promise<number> {
  const end = Date.now() + ms;
  let now = hugepagesOfTree();
  while (now !== start && Date.now() < end) {
    await Bun.sleep(20);
    now = hugepagesOfTree();
  }
  return now;
}
