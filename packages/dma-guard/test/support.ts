/* Test helpers: "needs" handling, reading a child's first line, the guardian's event log. */
import { existsSync, readdirSync, readFileSync, readlinkSync } from "node:fs";
import { geteuid } from "@dataplane/sys";
import type { GuardEvent } from "../src/index.ts";

/** True when `ok`; else fails under CI=true, or warns and returns false. */
export function need(what: string, ok: boolean): boolean {
  if (ok) return true;
  if (process.env.CI === "true")
    throw new Error(`needs ${what} (CI=true: this must not be skipped)`);
  console.warn(`skipped: needs ${what}`);
  return false;
}

export const isRoot = (): boolean => geteuid() === 0;

export const freeHugePages = (): number =>
  Number(readFileSync("/sys/kernel/mm/hugepages/hugepages-2048kB/free_hugepages", "utf8"));

/** Reads a child's stdout up to its first full line. */
export async function firstLine(stdout: ReadableStream<Uint8Array>): Promise<string> {
  const reader = stdout.getReader();
  let text = "";
  try {
    while (!text.includes("\n")) {
      const { value, done } = await reader.read();
      if (done) throw new Error(`the process exited before printing a line (got "${text}")`);
      text += new TextDecoder().decode(value);
    }
  } finally {
    reader.releaseLock();
  }
  return text.slice(0, text.indexOf("\n"));
}

/** One line of the guardian's log. */
export interface LogLine {
  readonly seq: number;
  readonly event: GuardEvent;
  readonly [key: string]: unknown;
}

export function readLog(path: string): LogLine[] {
  if (!existsSync(path)) return [];
  return readFileSync(path, "utf8")
    .split("\n")
    .filter((l) => l !== "")
    .map((l) => JSON.parse(l) as LogLine);
}

/** Polls `check` (every 10 ms) until it returns a value, or fails after `ms` naming `what`. */
export async function until<T>(
  check: () => T | undefined | false,
  ms: number,
  what: string,
): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const value = check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await Bun.sleep(10);
  }
}

/** HugetlbPages of a process in kB (its own hugepage usage), 0 when it is gone. */
export function hugetlbKb(pid: number): number {
  try {
    const m = /^HugetlbPages:\s+([0-9]+) kB/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return m === null ? 0 : Number(m[1]);
  } catch {
    return 0;
  }
}

/** Whether process `pid` has an fd whose link starts with `target` (e.g. "/memfd:name"). */
export function fdOpenBy(pid: number, target: string): boolean {
  try {
    return readdirSync(`/proc/${pid}/fd`).some((fd) => {
      try {
        return readlinkSync(`/proc/${pid}/fd/${fd}`).startsWith(target);
      } catch {
        return false;
      }
    });
  } catch {
    return false;
  }
}
