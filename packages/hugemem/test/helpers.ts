/* Shared test helpers: pool counters, waiting for pages to come back, "needs" handling. */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { geteuid } from "@dataplane/sys";
import { HugememError } from "../src/index.ts";

export const MIB = 1024 * 1024;
export const PAGE_2M = 2 * MIB;
export const PAGE_1G = 1024 * MIB;

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

/** free_hugepages of the pool of `pageSize`-byte pages (HugePages_Free for the default size). */
export function freePages(pageSize = PAGE_2M): number {
  try {
    return Number(
      readFileSync(
        `/sys/kernel/mm/hugepages/hugepages-${pageSize / 1024}kB/free_hugepages`,
        "utf8",
      ),
    );
  } catch {
    return 0;
  }
}

/** HugePages_Free from /proc/meminfo (the default-size pool). */
export function meminfoFree(): number {
  const m = /^HugePages_Free:\s+([0-9]+)/m.exec(readFileSync("/proc/meminfo", "utf8"));
  return m === null ? 0 : Number(m[1]);
}

/**
 * Polls until the pool's free count equals `value` (pages freed by a dying process come back
 * asynchronously) and returns the last count seen.
 */
export async function freeBecomes(value: number, pageSize = PAGE_2M, ms = 3000): Promise<number> {
  const end = Date.now() + ms;
  let now = freePages(pageSize);
  while (now !== value && Date.now() < end) {
    await Bun.sleep(20);
    now = freePages(pageSize);
  }
  return now;
}

/** Runs a script with bun as nobody (uid/gid 65534, no groups). */
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

/** The HugememError that `f` throws; fails the test when it throws nothing or something else. */
export function errorOf(f: () => unknown): HugememError {
  try {
    f();
  } catch (e) {
    if (e instanceof HugememError) return e;
    throw e;
  }
  throw new Error("expected a HugememError, nothing was thrown");
}

/** Reads a child's stdout until its first full line and returns that line (fails if it exits first). */
export async function firstLine(child: {
  stdout: ReadableStream<Uint8Array>;
  stderr: ReadableStream<Uint8Array>;
}): Promise<string> {
  const reader = child.stdout.getReader();
  let text = "";
  try {
    while (!text.includes("\n")) {
      const { value, done } = await reader.read();
      if (done) throw new Error(`child exited early: ${await new Response(child.stderr).text()}`);
      text += new TextDecoder().decode(value);
    }
  } finally {
    reader.releaseLock();
  }
  return text.slice(0, text.indexOf("\n"));
}

/** What the holder fixture allocated. */
export interface Held {
  readonly address: number;
  readonly bytes: number;
  readonly pages: number[];
}

/** Starts a process holding `pages` 2 MiB pages until its stdin closes; `stop()` ends it. */
export async function spawnHolder(pages: number) {
  const child = Bun.spawn(
    [process.execPath, join(import.meta.dir, "fixtures/hold-region.ts"), String(pages)],
    {
      stdin: "pipe",
      stdout: "pipe",
      stderr: "pipe",
    },
  );
  const held = JSON.parse(await firstLine(child)) as Held;
  const stop = async () => {
    child.stdin.end();
    await child.exited;
  };
  return { pid: child.pid, held, stop };
}
