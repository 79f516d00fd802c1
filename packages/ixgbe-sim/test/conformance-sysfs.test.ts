/*
 * The conformance suite over a sysfs-style device directory against a real simulator process:
 * every register is shared memory (resource0), DMA addresses are physical. Reads of shared
 * memory do not reach the model and writes reach it only at its next poll, and the mode has no
 * interrupts; the tests that depend on those are skipped with the reason (README, "sysfs mode").
 */
import { afterAll, beforeAll } from "bun:test";
import {
  MTQC_RULE_MAPPED,
  MTQC_RULE_TEST,
  RXEN_RULE_MAPPED,
  RXEN_RULE_TEST,
  TAIL_RULE_MAPPED,
  TAIL_RULE_TEST,
} from "./conformance/skip.ts";
import { conformanceSuite } from "./conformance/suite.ts";
import {
  openSysfsRemote,
  type Remote,
  remoteFactory,
  whenAvailable,
} from "./conformance-remote.ts";

const READ_AFTER_WRITE =
  "a write reaches the model at its next poll of resource0, so an immediate read-back shows memory, not the register";
const READ_SIDE_EFFECT = "reads of resource0 do not trap: no read side effects";
const NO_IRQ = "the sysfs mode has no interrupts";

/** The suite's tests this transport cannot run, and why (same words as the README). */
export const SYSFS_SKIPS = {
  "aliases decode onto the same storage": READ_AFTER_WRITE,
  "read-modify-write of plain registers round-trips, read-only ones ignore writes":
    READ_AFTER_WRITE,
  "SWSM.SMBI is read-to-set; EERD returns data with DONE": `${READ_SIDE_EFFECT} (SWSM read-to-set)`,
  "EIMS sets, a 0 write does nothing, EIMC clears; EICS and EICR are RW1C": `${READ_SIDE_EFFECT} (EICR read-clear, write-only EIMC reads 0); ${READ_AFTER_WRITE}`,
  "an EICS read returns EICR's causes without clearing them; an EICR write clears": `${READ_SIDE_EFFECT} (write-only EICS reads the last value stored)`,
  "link comes up after AN restart with 10G speed and an LSC cause": `${READ_AFTER_WRITE} (AUTOC.Restart_AN self-clear)`,
  "link down/up on demand: LSC, latched-low LINKS bit 7, MSI-X other vector": `${READ_SIDE_EFFECT} (LINKS latched low); ${NO_IRQ}`,
  "statistics are exact: GPRC, GORC/TOR without the stripped CRC, size bins, broadcast, per-queue slots": `${READ_SIDE_EFFECT} (clear-on-read statistics run free)`,
  "MSI-X: IVAR routes queue causes, EIAC auto-clears, EITR spaces firings": NO_IRQ,
  "WTHRESH > 0: the queue's vector firing writes the batch back when its EITR is set, not with ITR 0":
    NO_IRQ,
  [TAIL_RULE_TEST]: TAIL_RULE_MAPPED,
  [MTQC_RULE_TEST]: MTQC_RULE_MAPPED,
  [RXEN_RULE_TEST]: RXEN_RULE_MAPPED,
  "MSI/INTx mode: one vector, IVAR picks the EICR bit, EICR read clears": `${NO_IRQ}; ${READ_SIDE_EFFECT} (EICR read-clear)`,
};

whenAvailable(true, "conformance over sysfs", () => {
  let remote: Remote | null = null;
  beforeAll(async () => {
    remote = await openSysfsRemote();
  }, 60_000);
  afterAll(async () => {
    await remote?.close();
  }, 60_000);

  conformanceSuite("sysfs process", (o) => remoteFactory(remote as Remote)(o), SYSFS_SKIPS);
});
