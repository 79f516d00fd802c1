/* @dataplane/hugemem public API: hugepage pools, allocation, proof of backing, contiguous regions. */
export { type AllocateOptions, allocate } from "./allocate.ts";
export type { Backing } from "./backing.ts";
export { HugememError, type HugememErrorCode } from "./errors.ts";
export { type ProofMethod, verifyHugeBacking } from "./proof.ts";
export { type RangeOptions, rangeSegments } from "./range.ts";
export { HugeRegion } from "./region.ts";
export { type ReserveOptions, type ReserveResult, reserve } from "./reserve.ts";
export { mergePages, type Segment, summarize } from "./sg.ts";
export { PAGE_1G, PAGE_2M, type PageSizeName, pageSizeBytes, pageSizeName } from "./size.ts";
export {
  type HugepagePool,
  type HugepageStatus,
  type HugetlbfsMount,
  type NodePool,
  status,
} from "./status.ts";
export { hugepageBytesOf, hugepageBytesOfTree, processTree } from "./usage.ts";
