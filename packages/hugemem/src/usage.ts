/*
 * Hugepages a process (tree) has mapped, from HugetlbPages in /proc/PID/status (Linux 5.11+,
 * the sum of its hugetlb mappings' sizes). Leak checks use this rather than the pool's free
 * count: HugePages_Free moves whenever any other process on the machine maps or frees pages,
 * while a process's own usage moves only with what it (and its children) hold.
 */
import { readdirSync, readFileSync } from "node:fs";

/** Bytes of hugepage memory process `pid` has mapped; 0 once it is gone. */
export function hugepageBytesOf(pid: number): number {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/status`, "utf8");
  } catch {
    return 0; // gone (or never was): it holds nothing
  }
  const m = /^HugetlbPages:\s+([0-9]+) kB/m.exec(text);
  return m === null ? 0 : Number(m[1]) * 1024;
}

/** `pid` and every live descendant, parents first (from /proc/PID/task/TID/children). */
export function processTree(pid: number): number[] {
  const out: number[] = [];
  const seen = new Set<number>();
  const todo = [pid];
  while (todo.length > 0) {
    const p = todo.shift() as number;
    if (seen.has(p)) continue;
    seen.add(p);
    out.push(p);
    let tasks: string[];
    try {
      tasks = readdirSync(`/proc/${p}/task`);
    } catch {
      continue; // exited meanwhile
    }
    for (const tid of tasks) {
      let children = "";
      try {
        children = readFileSync(`/proc/${p}/task/${tid}/children`, "utf8");
      } catch {
        continue;
      }
      for (const c of children.split(" ")) if (c.trim() !== "") todo.push(Number(c));
    }
  }
  return out;
}

/**
 * Bytes of hugepage memory mapped by `pid` (default: this process) and its descendants. A
 * mapping shared by two of them counts once per process, as the kernel reports it: compare a
 * tree's usage with itself (before and after), not with a pool size.
 */
export function hugepageBytesOfTree(pid: number = process.pid): number {
  let sum = 0;
  for (const p of processTree(pid)) sum += hugepageBytesOf(p);
  return sum;
}
