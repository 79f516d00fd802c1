#!/usr/bin/env bun
/*
 * The l2fwd command: parse options, check hugepages, open the ports, forward with live
 * statistics, print the summary, and release everything on every path (normal end, error,
 * Ctrl-C/SIGTERM; a second signal exits at once after the essential steps).
 */
import { parseCommandLine } from "./args.ts";
import type { L2fwdConfig } from "./config.ts";
import { formatSummary, summaryJson } from "./display.ts";
import { L2fwdError } from "./errors.ts";
import { HELP, versionLine } from "./help.ts";
import { ensureHugepages, type HugepageSysfs, hugepagesNeeded } from "./hugepages.ts";
import { LOST_PREFIX } from "./live-report.ts";
import type { PortSet } from "./port.ts";
import { openPorts } from "./ports.ts";
import { runForwarding } from "./run.ts";
import { Cleanup } from "./shutdown.ts";
import { createStopFlag, installStopSignals } from "./signals.ts";
import { haltWorkers } from "./workers.ts";

/** Exit status after a second Ctrl-C/SIGTERM (128 + SIGINT, as shells report it). */
export const EXIT_FORCED = 130;

/** What the command talks to; tests replace parts of it. */
export interface CliDeps {
  /** Opens the ports; `notice` gets lines for stderr (model start, failed cleanups). */
  readonly openPorts: (config: L2fwdConfig, notice: (line: string) => void) => Promise<PortSet>;
  readonly hugepages?: { readonly fs?: HugepageSysfs; readonly euid?: number };
  /** stdout: statistics and the summary. */
  readonly out: (line: string) => void;
  /** stderr: notices and errors. */
  readonly err: (line: string) => void;
  /** Ends the process at once (second signal). */
  readonly exit: (code: number) => void;
}

const defaultDeps: CliDeps = {
  openPorts: (config, notice) => openPorts(config, { notice }),
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
  exit: (code) => process.exit(code),
};

/** Runs the command for `argv` (arguments after the script); resolves to the exit status. */
export async function runCli(
  argv: readonly string[],
  deps: CliDeps = defaultDeps,
): Promise<number> {
  let command: ReturnType<typeof parseCommandLine>;
  try {
    command = parseCommandLine(argv);
  } catch (e) {
    return fail(e, deps);
  }
  if (command.kind === "help") {
    deps.out(HELP);
    return 0;
  }
  if (command.kind === "version") {
    deps.out(versionLine());
    return 0;
  }
  const config = command.config;
  if (command.kind === "print-config") {
    deps.out(JSON.stringify(config, null, 2));
    return 0;
  }
  const cleanup = new Cleanup();
  const stop = createStopFlag();
  const signals = installStopSignals({
    stop,
    onStop: (signal) => deps.err(`${signal}: stopping (press Ctrl-C again to exit at once)`),
    onForce: (signal) => {
      deps.err(`${signal} again: exiting now`);
      // Workers first: closing the ports unmaps memory they would still write.
      if (!haltWorkers()) deps.err("l2fwd: a Worker did not stop in time");
      for (const f of cleanup.runEssential())
        deps.err(`cleanup ${f.name} failed: ${String(f.error)}`);
      deps.exit(EXIT_FORCED);
    },
  });
  cleanup.add("signal handlers", () => signals.dispose());
  try {
    const pre = ensureHugepages(hugepagesNeeded(config), deps.hugepages);
    if (pre.restore) cleanup.add("reserved hugepages", pre.restore, { essential: true });
    if (pre.message) deps.err(pre.message); // stderr: stdout stays pure JSON with --json
    let lost = false;
    // Once the device is known lost, failures to close it were already explained.
    const set = await deps.openPorts(config, (line) => {
      if (!lost) deps.err(line);
    });
    cleanup.add(
      "ports",
      () => {
        try {
          set.close();
        } catch (e) {
          // A device that went away cannot be closed cleanly; that was already reported.
          if (!lost) throw e;
        }
      },
      { essential: true },
    );
    const summary = await runForwarding(set, config, stop, deps.out);
    lost = summary.verdict.reasons.some((r) => r.startsWith(LOST_PREFIX));
    // One line on stderr says why (the device's own message says what to do); the summary follows.
    if (lost) deps.err(`l2fwd: ${summary.verdict.reasons[0]}`);
    deps.out(config.json ? summaryJson(summary) : formatSummary(summary, describeSetup(config)));
    return summary.verdict.ok ? 0 : 1;
  } catch (e) {
    return fail(e, deps);
  } finally {
    for (const f of cleanup.runAll()) deps.err(`cleanup ${f.name} failed: ${String(f.error)}`);
  }
}

function describeSetup(c: L2fwdConfig): string {
  const q = `${c.queues} queue${c.queues === 1 ? "" : "s"}`;
  return `batch ${c.batch}, ring ${c.ringSize}, ${q}, mode ${c.mode}`;
}

function fail(e: unknown, deps: CliDeps): number {
  if (e instanceof L2fwdError) {
    deps.err(`l2fwd: ${e.message}`);
    return e.exitCode;
  }
  // The stack's own errors (IxgbeError, VfioError, HugememError, ...) carry a code and a
  // message that says what to do: that message, not a stack trace.
  if (e instanceof Error && typeof (e as { code?: unknown }).code === "string") {
    deps.err(`l2fwd: ${e.message}`);
    return 1;
  }
  deps.err(`l2fwd: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
  return 1;
}

if (import.meta.main) {
  process.exitCode = await runCli(process.argv.slice(2));
}
