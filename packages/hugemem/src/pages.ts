/* Physical address of each huge page of a mapping, through pagemap (empty when PFNs are hidden). */
import { Pagemap, PagemapError } from "@dataplane/pagemap";

/**
 * Physical address of each of the `count` huge pages at `address`, in virtual order. Returns an
 * empty array when the kernel hides PFNs (not root); throws other pagemap errors.
 */
export function resolvePages(address: number, count: number, pageSize: number): Float64Array {
  const out = new Float64Array(count);
  using pm = Pagemap.open("self", { learnPageSize: false });
  try {
    for (let i = 0; i < count; i++) out[i] = pm.translate(address + i * pageSize);
  } catch (e) {
    if (e instanceof PagemapError && e.code === "PFN_HIDDEN") return new Float64Array(0);
    throw e;
  }
  return out;
}
