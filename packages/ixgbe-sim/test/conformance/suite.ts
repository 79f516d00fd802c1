/*
 * The conformance suite: everything a driver may rely on, checked through a ConformanceTarget.
 * A transport (in-process, vfio-user, sysfs directory) supplies a factory and calls
 * conformanceSuite(name, factory) from a *.test.ts file.
 */

import { registerSkips, type SkipList } from "./skip.ts";
import { registerFaultTests } from "./suite-faults.ts";
import { registerOffloadTests } from "./suite-offload.ts";
import { registerTests } from "./suite-registers.ts";
import { registerRuleTests } from "./suite-rules.ts";
import { registerRxTests } from "./suite-rx.ts";
import { registerTxTests } from "./suite-tx.ts";
import type { TargetFactory } from "./target.ts";

/**
 * Declares the whole suite (bun:test describe blocks) for targets made by `make`; tests named
 * in `skips` are reported as skipped with their reason (behaviour the transport cannot show).
 */
export function conformanceSuite(name: string, make: TargetFactory, skips: SkipList = {}): void {
  registerSkips(name, skips);
  registerTests(name, make);
  registerRxTests(name, make);
  registerTxTests(name, make);
  registerOffloadTests(name, make);
  registerFaultTests(name, make);
  registerRuleTests(name, make);
}
