/* Shared test helpers: hugepage mappings and "needs root" handling (fail in CI, skip elsewhere). */
import { readFileSync } from "node:fs";
import { constants as C, geteuid, mmap, munmap } from "@dataplane/sys";

export const PAGE_2M = 2 * 1024 * 1024;

/**
 * True when `ok`; otherwise fails under CI=true and, outside CI, prints why the test is skipped
 * and returns false.
 */
export function need(what: string, ok: boolean): boolean {
  if (ok) return true;
  const message = `needs ${what}`;
  if (process.env.CI === "true") throw new Error(`${message} (CI=true: this must not be skipped)`);
  console.warn(`skipped: ${message}`);
  return false;
}

export const isRoot = (): boolean => geteuid() === 0;

/** `pages` populated 2 MiB hugetlb pages (anonymous, shared), or null when none can be had. */
export function hugeMapping(
  pages: number,
): { address: number; bytes: number; [Symbol.dispose](): void } | null {
  const bytes = pages * PAGE_2M;
  let address: number;
  try {
    address = mmap(
      bytes,
      C.PROT_READ | C.PROT_WRITE,
      C.MAP_SHARED | C.MAP_ANONYMOUS | C.MAP_HUGETLB | C.MAP_HUGE_2MB | C.MAP_POPULATE,
    );
  } catch {
    return null;
  }
  return { address, bytes, [Symbol.dispose]: () => munmap(address, bytes) };
}

/** `pages` 4 KiB pages of private anonymous memory, untouched. */
export function smallMapping(pages: number): {
  address: number;
  bytes: number;
  [Symbol.dispose](): void;
} {
  const bytes = pages * 4096;
  const address = mmap(bytes, C.PROT_READ | C.PROT_WRITE, C.MAP_PRIVATE | C.MAP_ANONYMOUS);
  return { address, bytes, [Symbol.dispose]: () => munmap(address, bytes) };
}

/** Runs a fixture script as nobody (uid/gid 65534) and returns its exit code and output. */
export function runAsNobody(
  script: string,
  args: string[] = [],
): { code: number; stdout: string; stderr: string } {
  const r = Bun.spawnSync(
    [
      "setpriv",
      "--reuid=65534",
      "--regid=65534",
      "--clear-groups",
      process.execPath,
      script,
      ...args,
    ],
    { stdout: "pipe", stderr: "pipe" },
  );
  return { code: r.exitCode ?? -1, stdout: r.stdout.toString(), stderr: r.stderr.toString() };
}

/** free_hugepages of the 2 MiB pool. */
export function freeHugePages2M(): number {
  try {
    return Number(readFileSync("/sys/kernel/mm/hugepages/hugepages-2048kB/free_hugepages", "utf8"));
  } catch {
    return 0;
  }
}
