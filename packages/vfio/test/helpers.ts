/* Shared test helpers: a device server in a child process, hugepage memory, /proc probes. */
import { readdirSync, readFileSync, readlinkSync } from "node:fs";
import { close, ftruncate, constants as K, memfdCreate, mmap, munmap } from "@dataplane/sys";

const FIXTURE = `${import.meta.dir}/fixtures/serve-test-device.ts`;
let serial = 0;

/** A fresh socket path for this process. */
export function socketPath(tag: string): string {
  return `/tmp/dataplane-vfio-${tag}-${process.pid}-${serial++}.sock`;
}

/** The test device server running as a child process. */
export interface ServerChild {
  pid: number;
  path: string;
  proc: ReturnType<typeof Bun.spawn>;
  /** The server's live JS heap in bytes, measured right after a full garbage collection. */
  heapBytes(): Promise<number>;
  stop(): Promise<void>;
}

/** Spawns the test device server and waits until it listens. */
export async function spawnServer(path = socketPath("srv")): Promise<ServerChild> {
  const proc = Bun.spawn([process.execPath, FIXTURE, path], { stdout: "pipe", stderr: "inherit" });
  const reader = (proc.stdout as ReadableStream<Uint8Array>).getReader();
  const { value } = await reader.read();
  reader.releaseLock();
  const line = new TextDecoder().decode(value ?? new Uint8Array());
  if (!line.startsWith("ready")) {
    proc.kill();
    throw new Error(`test server did not start: ${JSON.stringify(line)}`);
  }
  return {
    pid: proc.pid,
    path,
    proc,
    async heapBytes() {
      proc.kill("SIGUSR2");
      const lines = (proc.stdout as ReadableStream<Uint8Array>).getReader();
      let text = "";
      try {
        for (;;) {
          const found = /heap (\d+)\n/.exec(text);
          if (found) return Number(found[1]);
          const { value, done } = await lines.read();
          if (done) throw new Error(`test server exited before reporting its heap: ${text}`);
          text += new TextDecoder().decode(value);
        }
      } finally {
        lines.releaseLock();
      }
    },
    async stop() {
      proc.kill("SIGTERM");
      await proc.exited;
    },
  };
}

/** Hugepage-backed memory from a MFD_HUGETLB memfd, or null (with the reason) if none. */
export interface HugeMemory {
  address: number;
  bytes: number;
  fd: number;
  fdOffset: number;
  free(): void;
}

export function hugeMemory(
  bytes: number,
  name = "vfio-test-dma",
  flags = K.MFD_HUGE_2MB,
): HugeMemory | string {
  let fd = -1;
  try {
    fd = memfdCreate(name, K.MFD_CLOEXEC | K.MFD_ALLOW_SEALING | K.MFD_HUGETLB | flags);
    ftruncate(fd, bytes);
    const address = mmap(bytes, K.PROT_READ | K.PROT_WRITE, K.MAP_SHARED | K.MAP_POPULATE, fd);
    return {
      address,
      bytes,
      fd,
      fdOffset: 0,
      free() {
        munmap(address, bytes);
        close(fd);
      },
    };
  } catch (e) {
    if (fd >= 0) close(fd);
    return `no hugepage memory (${(e as Error).message})`;
  }
}

/** Skips outside CI, fails loudly in CI, when a precondition is missing. */
export function requireOrSkip(reason: string | null): boolean {
  if (reason === null) return true;
  if (process.env.CI === "true") throw new Error(`CI requires this: ${reason}`);
  console.warn(`skipping: ${reason}`);
  return false;
}

/** Targets of /proc/<pid>/fd. */
export function procFds(pid: number): string[] {
  const dir = `/proc/${pid}/fd`;
  return readdirSync(dir).map((n) => {
    try {
      return readlinkSync(`${dir}/${n}`);
    } catch {
      return "?";
    }
  });
}

/** Lines of /proc/<pid>/maps. */
export function procMaps(pid: number): string[] {
  return readFileSync(`/proc/${pid}/maps`, "utf8").split("\n");
}

/** Resident set size of `pid` in KiB. */
export function rssKiB(pid: number): number {
  const m = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return m ? Number(m[1]) : -1;
}

/** Polls `check` every 10 ms until it returns true or `ms` pass. */
export async function waitFor(check: () => boolean, ms = 2000): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (check()) return true;
    await Bun.sleep(10);
  }
  return check();
}
