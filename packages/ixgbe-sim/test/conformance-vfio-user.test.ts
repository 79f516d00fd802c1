/*
 * The conformance suite over vfio-user against a real simulator process: trapped registers
 * through REGION_READ/WRITE, the queue pages mmapped, DMA into hugepage memory passed by fd,
 * MSI-X through eventfds.
 */
import { afterAll, beforeAll } from "bun:test";
import { TAIL_RULE_MAPPED, TAIL_RULE_TEST } from "./conformance/skip.ts";
import { conformanceSuite } from "./conformance/suite.ts";
import {
  openVfioUserRemote,
  type Remote,
  remoteFactory,
  whenAvailable,
} from "./conformance-remote.ts";

whenAvailable(false, "conformance over vfio-user", () => {
  let remote: Remote | null = null;
  beforeAll(async () => {
    remote = await openVfioUserRemote();
  }, 60_000);
  afterAll(async () => {
    await remote?.close();
  }, 60_000);

  conformanceSuite("vfio-user process", (o) => remoteFactory(remote as Remote)(o), {
    [TAIL_RULE_TEST]: TAIL_RULE_MAPPED,
  });
});
