/*
 * A stand-in for the kernel's 2 MiB hugepage pool files: writing nr_hugepages grows or shrinks
 * the pool the way the kernel does (only free pages can go), up to `limit` pages in all.
 */
import type { HugepageSysfs } from "../../src/hugepages.ts";

/** The fake pool; `inUse` pages are taken by other processes and cannot be freed. */
export class FakeHugepagePool implements HugepageSysfs {
  readonly path = "/fake/sys/kernel/mm/hugepages/hugepages-2048kB";
  writes: number[] = [];
  constructor(
    public total: number,
    public inUse: number,
    public limit = Number.POSITIVE_INFINITY,
  ) {}

  read(name: string): number {
    if (name === "nr_hugepages") return this.total;
    if (name === "free_hugepages") return this.total - this.inUse;
    if (name === "resv_hugepages") return 0;
    throw new Error(`no file ${name}`);
  }

  write(name: string, value: number): void {
    if (name !== "nr_hugepages") throw new Error(`read-only file ${name}`);
    this.writes.push(value);
    this.total = Math.max(this.inUse, Math.min(value, this.limit));
  }
}
