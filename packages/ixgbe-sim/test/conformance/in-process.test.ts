/*
 * Runs the conformance suite against the model in this process: once with every register
 * access trapped, once with the RX/TX queue pages mapped as a vfio-user client maps them.
 */
import { MAPPED_QUEUE_PAGES } from "../../src/model/register-map.ts";
import { inProcessFactory } from "./in-process.ts";
import { TAIL_RULE_MAPPED, TAIL_RULE_TEST } from "./skip.ts";
import { conformanceSuite } from "./suite.ts";

conformanceSuite("in-process, trapped", inProcessFactory());
conformanceSuite("in-process, queue pages mapped", inProcessFactory(MAPPED_QUEUE_PAGES), {
  [TAIL_RULE_TEST]: TAIL_RULE_MAPPED,
});
