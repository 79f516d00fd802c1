/* test() for hugepage-backed cases: skipped with a reason outside CI, failing loudly in CI. */
import { test } from "bun:test";
import { allocate } from "@dataplane/hugemem";

/**
 * Why hugepages with physical addresses are unusable here, or null when they work. In CI the
 * caller fails instead of skipping (see hugeTest).
 */
export function hugepagesMissing(): string | null {
  try {
    using region = allocate({ bytes: 2 << 20, pageSize: "2M" });
    region.physicalAddress(0); // throws when PFNs are hidden (not root)
    return null;
  } catch (e) {
    return `2 MiB hugepages with pagemap PFNs unavailable: ${(e as Error).message}`;
  }
}

const missing = hugepagesMissing();

/** test() that needs hugepages: skipped with a reason outside CI, failing loudly in CI. */
export function hugeTest(name: string, fn: () => void): void {
  if (missing === null) test(name, fn);
  else if (process.env.CI === "true") {
    test(name, () => {
      throw new Error(`${name}: ${missing}; CI must reserve 2 MiB hugepages and run as root`);
    });
  } else {
    console.warn(`skipping "${name}": ${missing}`);
    test.skip(name, fn);
  }
}
