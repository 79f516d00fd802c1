/*
 * The three ways to get hugepage memory: a hugetlb memfd (no mount needed), a file in a hugetlbfs
 * mount (opened with O_TMPFILE, so it never has a name to leave behind), or an anonymous shared
 * MAP_HUGETLB mapping. Each yields an fd (or -1) and a shared, populated mapping.
 */
import { realpathSync } from "node:fs";
import {
  constants as C,
  close,
  ftruncate,
  getpid,
  memfdCreate,
  mmap,
  open,
  SysError,
  unlink,
} from "@dataplane/sys";
import { HugememError } from "./errors.ts";
import { noPool, reserveCommands } from "./reserve.ts";
import { hugeFlag, pageSizeName } from "./size.ts";
import { hugetlbfsMounts, poolStatus } from "./status.ts";

/** Where a region's pages come from. */
export type Backing = "memfd" | "hugetlbfs" | "anonymous";

let fileSeq = 0;

/** The hugetlbfs mount to use for `pageSize`: `dir` if given (checked), else the first one. */
export function findMount(pageSize: number, dir?: string): string {
  const name = pageSizeName(pageSize);
  const mounts = hugetlbfsMounts();
  const fix = (path: string) =>
    `mount one: sudo mkdir -p ${path} && sudo mount -t hugetlbfs -o pagesize=${name} nodev ${path}` +
    `, or use backing "memfd" (needs no mount)`;
  if (dir !== undefined) {
    let real = dir;
    try {
      real = realpathSync(dir);
    } catch {
      // a missing directory is reported below like any other non-mount
    }
    const found = mounts.find((m) => m.path === real);
    if (found === undefined || found.pageSize !== pageSize) {
      const what =
        found === undefined
          ? "is not a hugetlbfs mount"
          : `uses ${pageSizeName(found.pageSize)} pages`;
      throw new HugememError("NO_HUGETLBFS_MOUNT", `${dir} ${what}, ${name} needed; ${fix(dir)}`);
    }
    return real;
  }
  const found = mounts.find((m) => m.pageSize === pageSize);
  if (found === undefined) {
    throw new HugememError(
      "NO_HUGETLBFS_MOUNT",
      `no hugetlbfs mount with pagesize=${name} in /proc/mounts; ${fix(`/mnt/huge-${name}`)}`,
    );
  }
  return found.path;
}

/**
 * A new, nameless file in the hugetlbfs directory `dir`: O_TMPFILE, so no name ever exists and
 * nothing can be left behind even if the process is killed right here. Kernels whose hugetlbfs
 * lacks O_TMPFILE get a named file that is unlinked at once (a SIGKILL between the two calls
 * would leave an empty file).
 */
function openHugetlbfsFile(dir: string, name: string): number {
  try {
    return open(dir, C.O_TMPFILE | C.O_RDWR | C.O_CLOEXEC, 0o600);
  } catch (cause) {
    const unsupported = cause instanceof SysError && TMPFILE_UNSUPPORTED.has(cause.code);
    if (!unsupported) throw cause;
  }
  const path = `${dir}/${name.replace(/\//g, "_")}.${getpid()}.${fileSeq++}`;
  const fd = open(path, C.O_RDWR | C.O_CREAT | C.O_EXCL | C.O_CLOEXEC, 0o600);
  unlink(path); // the open fd keeps the file; no name is left behind on any later error
  return fd;
}

// What open(O_TMPFILE) fails with where the filesystem or kernel does not support it.
const TMPFILE_UNSUPPORTED = new Set(["EOPNOTSUPP", "EISDIR", "EINVAL"]);

/**
 * Opens the file behind a region and sizes it to `bytes`: a hugetlb memfd, or a nameless file
 * in a hugetlbfs mount. Returns -1 for anonymous memory.
 */
export function openBacking(
  backing: Backing,
  pageSize: number,
  bytes: number,
  name: string,
  mount?: string,
): number {
  if (backing === "anonymous") return -1;
  let fd: number;
  if (backing === "memfd") {
    try {
      // Sealable, so a vfio-user server can seal it against shrinking before mapping it.
      const flags = C.MFD_CLOEXEC | C.MFD_ALLOW_SEALING | C.MFD_HUGETLB | hugeFlag(pageSize);
      fd = memfdCreate(name, flags);
    } catch (cause) {
      if (cause instanceof SysError && cause.code === "EINVAL")
        throw withCause(noPool(pageSize), cause);
      throw cause;
    }
  } else {
    fd = openHugetlbfsFile(findMount(pageSize, mount), name);
  }
  try {
    ftruncate(fd, bytes);
  } catch (cause) {
    close(fd);
    throw cause;
  }
  return fd;
}

/**
 * Maps `bytes` of `fd` (or anonymous hugetlb memory when fd is -1) shared, read-write and, when
 * `populate`, faulted in. ENOMEM (pool too small) becomes NOT_ENOUGH_PAGES.
 */
export function mapBacking(
  fd: number,
  pageSize: number,
  bytes: number,
  populate: boolean,
  hint = 0,
): number {
  const rw = C.PROT_READ | C.PROT_WRITE;
  let flags = C.MAP_SHARED | (populate ? C.MAP_POPULATE : 0) | (hint !== 0 ? C.MAP_FIXED : 0);
  if (fd < 0) flags |= C.MAP_ANONYMOUS | C.MAP_HUGETLB | hugeFlag(pageSize);
  try {
    return mmap(bytes, rw, flags, fd, 0, hint);
  } catch (cause) {
    if (cause instanceof SysError && cause.code === "ENOMEM") {
      throw withCause(notEnoughPages(Math.ceil(bytes / pageSize), pageSize), cause);
    }
    if (cause instanceof SysError && cause.code === "EINVAL" && fd < 0)
      throw withCause(noPool(pageSize), cause);
    throw cause;
  }
}

/** NOT_ENOUGH_PAGES for `needed` pages, with the pool's numbers and the command that fixes it. */
export function notEnoughPages(needed: number, pageSize: number): HugememError {
  const pool = poolStatus(pageSize);
  if (pool === null) return noPool(pageSize);
  const target = pool.total + Math.max(1, needed - pool.available);
  return new HugememError(
    "NOT_ENOUGH_PAGES",
    `${needed} free ${pageSizeName(pageSize)} hugepages needed, ${pool.available} available ` +
      `(${pool.free} free, ${pool.reserved} reserved, ${pool.total} in the pool); ` +
      `grow the pool ${reserveCommands(target, pageSize)}` +
      (pageSize >= 1024 ** 3
        ? `; 1 GiB pages are rarely free at run time (memory fragments), so reserve them at boot: ` +
          `add hugepagesz=1G hugepages=${target} to the kernel command line`
        : ""),
  );
}

function withCause(error: HugememError, cause: unknown): HugememError {
  return new HugememError(error.code, error.message, { cause });
}
