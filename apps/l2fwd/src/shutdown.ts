/*
 * The cleanup registry: every resource a run acquires (devices, model process, reserved
 * hugepages, signal handlers) registers how to give it back; the registry runs those steps
 * last-first on every exit path, each exactly once, and keeps going when one fails.
 */

interface Step {
  readonly name: string;
  readonly run: () => void;
  readonly essential: boolean;
  done: boolean;
}

/** A failed cleanup step. */
export interface CleanupFailure {
  readonly name: string;
  readonly error: unknown;
}

/** Ordered cleanup steps. Synchronous by design: they must also run on a forced exit. */
export class Cleanup {
  private readonly steps: Step[] = [];

  /**
   * Registers a step. `essential` steps also run on a forced exit (second Ctrl-C): keep them
   * to quick things that would otherwise outlive the process (child processes, sysfs settings).
   */
  add(name: string, run: () => void, options: { essential?: boolean } = {}): void {
    this.steps.push({ name, run, essential: options.essential ?? false, done: false });
  }

  /** Names of the steps not yet run, in the order they will run. */
  pending(): string[] {
    return this.steps
      .filter((s) => !s.done)
      .map((s) => s.name)
      .reverse();
  }

  /** Runs every step not yet run, last registered first; returns the failures. */
  runAll(): CleanupFailure[] {
    return this.runWhere(() => true);
  }

  /** Runs only the essential steps not yet run (for a forced exit); returns the failures. */
  runEssential(): CleanupFailure[] {
    return this.runWhere((s) => s.essential);
  }

  [Symbol.dispose](): void {
    this.runAll();
  }

  private runWhere(pick: (s: Step) => boolean): CleanupFailure[] {
    const failures: CleanupFailure[] = [];
    for (let i = this.steps.length - 1; i >= 0; i--) {
      const s = this.steps[i] as Step;
      if (s.done || !pick(s)) continue;
      s.done = true; // before running: a step that throws is not retried
      try {
        s.run();
      } catch (error) {
        failures.push({ name: s.name, error });
      }
    }
    return failures;
  }
}
