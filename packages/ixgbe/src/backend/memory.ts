/*
 * DMA memory for rings and buffers: 2 MiB hugepages from @dataplane/hugemem (memfd backed, so
 * a vfio-user server can map the same pages through the fd).
 */
import { allocate, type HugeRegion } from "@dataplane/hugemem";
import { IxgbeError } from "../errors.ts";

/** Hugepage size used for every driver allocation. */
export const HUGEPAGE_BYTES = 2 << 20;

/** Rounds `bytes` up to whole 2 MiB pages. */
export const roundToHugepages = (bytes: number): number =>
  Math.max(1, Math.ceil(bytes / HUGEPAGE_BYTES)) * HUGEPAGE_BYTES;

/** Allocates hugepage memory for `label`; throws NO_MEMORY with the cause kept. */
export function allocateHuge(bytes: number, label: string): HugeRegion {
  const size = roundToHugepages(bytes);
  try {
    return allocate({ bytes: size, pageSize: "2M", backing: "memfd" });
  } catch (cause) {
    throw new IxgbeError(
      "NO_MEMORY",
      `cannot allocate ${size} bytes of 2 MiB hugepages for ${label}: ${(cause as Error).message}; ` +
        "check HugePages_Free in /proc/meminfo (echo N > /proc/sys/vm/nr_hugepages) or use smaller rings/pools",
      { cause },
    );
  }
}
