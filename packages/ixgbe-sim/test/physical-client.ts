/*
 * Fixture for physical-dma.test.ts: a "driver" process holding hugepage memory the three ways a
 * client can (memfd MFD_HUGETLB, an unlinked hugetlbfs file, anonymous MAP_SHARED|MAP_HUGETLB).
 * It writes a pattern, prints one JSON line per region with physical addresses from its own
 * pagemap, then obeys stdin lines: "map" (one more memfd region), "peek R OFF", "exit".
 */

import { existsSync } from "node:fs";
import {
  close,
  ftruncate,
  constants as K,
  memfdCreate,
  mmap,
  open,
  pread,
  unlink,
  viewOf,
} from "@dataplane/sys";

const HUGE = 2 * 1024 * 1024;
const regions: Uint32Array[] = [];
const pagemap = open("/proc/self/pagemap", K.O_RDONLY);
const entry = new Uint32Array(2);

function physical(va: number): number {
  pread(pagemap, entry, 8, Math.floor(va / 4096) * 8);
  return (((entry[1] as number) & 0x7fffff) * 2 ** 32 + (entry[0] as number)) * 4096 + (va % 4096);
}

function report(name: string, va: number, bytes: number): void {
  const r = regions.length;
  const u32 = new Uint32Array(viewOf(va, bytes));
  regions.push(u32);
  const probes = [];
  for (let page = 0; page < bytes / HUGE; page++) {
    for (const at of [0, 0x1234 * 4, HUGE - 4]) {
      const offset = page * HUGE + at;
      const value = ((r << 24) | (page << 16) | (at & 0xffff)) >>> 0;
      u32[offset / 4] = value;
      probes.push({ offset, pa: physical(va + offset), value });
    }
  }
  console.log(JSON.stringify({ region: r, name, bytes, probes }));
}

function memfdRegion(name: string, pages: number): void {
  const fd = memfdCreate(name, K.MFD_HUGETLB | K.MFD_HUGE_2MB | K.MFD_CLOEXEC);
  ftruncate(fd, pages * HUGE);
  const va = mmap(pages * HUGE, K.PROT_READ | K.PROT_WRITE, K.MAP_SHARED | K.MAP_POPULATE, fd);
  close(fd); // the mapping keeps the file alive, as a driver would do
  report(name, va, pages * HUGE);
}

memfdRegion("dp-phys-memfd", 2);
if (existsSync("/mnt/huge")) {
  const path = `/mnt/huge/dp-phys-${process.pid}`;
  const fd = open(path, K.O_RDWR | K.O_CREAT | K.O_EXCL, 0o600);
  unlink(path); // nothing left behind, whatever happens next
  ftruncate(fd, HUGE);
  const va = mmap(HUGE, K.PROT_READ | K.PROT_WRITE, K.MAP_SHARED | K.MAP_POPULATE, fd);
  close(fd);
  report("hugetlbfs", va, HUGE);
}
const anon = mmap(
  HUGE,
  K.PROT_READ | K.PROT_WRITE,
  K.MAP_SHARED | K.MAP_ANONYMOUS | K.MAP_HUGETLB | K.MAP_HUGE_2MB | K.MAP_POPULATE,
);
report("anon", anon, HUGE);
console.log("ready");

for await (const line of console) {
  const [cmd, a, b] = line.trim().split(" ");
  if (cmd === "map") memfdRegion("dp-phys-later", 1);
  else if (cmd === "peek") console.log(String(regions[Number(a)]?.[Number(b) / 4]));
  else if (cmd === "exit") process.exit(0);
}
