/*
 * Transport-specific skips for the conformance suite. A transport that cannot show some
 * behaviour (for example read side effects over shared memory) passes conformanceSuite a list
 * of test titles with the reason; these describe/test wrappers turn those into skipped tests
 * whose title carries the reason. Bun runs describe bodies later, so the list is looked up by
 * the suite name the describe title starts with, not kept in a "current suite" variable.
 */
import { describe as bunDescribe, test as bunTest } from "bun:test";

/** Test title -> why this transport cannot run it. */
export type SkipList = Readonly<Record<string, string>>;

const bySuite = new Map<string, SkipList>();
let current: SkipList = {};

/** Records the skips of suite `name` (called by conformanceSuite). */
export function registerSkips(name: string, skips: SkipList): void {
  bySuite.set(name, skips);
}

/** bun:test describe, with the skip list of the suite its title belongs to in effect. */
export function describe(title: string, fn: () => void): void {
  let skips: SkipList = {};
  for (const [name, list] of bySuite) if (title.startsWith(`${name}: `)) skips = list;
  bunDescribe(title, () => {
    const saved = current;
    current = skips;
    try {
      fn();
    } finally {
      current = saved;
    }
  });
}

/** bun:test test, skipped (with the reason in its title) when the suite's list names it. */
export function test(title: string, fn: () => void | Promise<void>, timeoutMs?: number): void {
  const why = current[title];
  if (why === undefined) bunTest(title, fn, timeoutMs);
  else bunTest.skip(`${title} [skipped: ${why}]`, fn);
}

/** Title of the rule test that needs RXDCTL/TXDCTL stores trapped, and why mapped ones cannot. */
export const TAIL_RULE_TEST =
  "rx-tail-before-enable / tx-tail-before-enable: the tail moves only after ENABLE reads 1";
/** Skip reason for TAIL_RULE_TEST where the queue control registers are mapped memory. */
export const TAIL_RULE_MAPPED =
  "RXDCTL/TXDCTL are mapped: the order of an ENABLE store and a tail store made between two model passes is unknown, so the rule is judged for trapped stores only";

/** Title of the rule test whose stores are judged only when trapped (not in sysfs mode). */
export const MTQC_RULE_TEST =
  "mtqc-without-arbdis: MTQC changes only while RTTDCS.ARBDIS holds the arbiter";
/** Skip reason for MTQC_RULE_TEST where all of BAR0 is mapped memory (sysfs mode). */
export const MTQC_RULE_MAPPED =
  "MTQC and RTTDCS are mapped: RTTDCS stores around an MTQC store may all land between two model passes, so the rule is judged for trapped stores only";

/** Title of the receive-enable handshake rule test, judged only when trapped (not in sysfs mode). */
export const RXEN_RULE_TEST =
  "rxen-without-secrx-rx-dis: RXCTRL.RXEN changed outside the SECRXCTRL.RX_DIS handshake";
/** Skip reason for RXEN_RULE_TEST where all of BAR0 is mapped memory (sysfs mode). */
export const RXEN_RULE_MAPPED =
  "RXCTRL and SECRXCTRL are mapped: the handshake's stores may all land between two model passes once the driver's bounded SECRX_RDY wait runs out, so the rule is judged for trapped stores only";
