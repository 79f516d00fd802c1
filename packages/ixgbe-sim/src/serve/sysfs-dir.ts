/*
 * A sysfs-style device directory for one port: <root>/<pci-address>/ with the identity files,
 * `config` and `resource0` (files on tmpfs that this process maps MAP_SHARED; resource0 is the
 * Port's register file, so every BAR0 word is shared memory), and the `resource` table. There is
 * no `driver` link and no `iommu_group`, so drivers take the no-IOMMU path with physical DMA.
 *
 * The client is found, not announced: once Bus Master Enable appears in config, /proc/<pid>/maps
 * of every process is searched for our resource0 (at most every 100 ms) and the first mapper is
 * the client; its hugepage memory is then reached through PhysicalDmaSpace. When it exits or no
 * longer maps resource0, the caller resets the port and the DMA space is closed; while another
 * process still maps resource0 with Bus Master Enable set (a guardian stopping the device),
 * that waits until BME is cleared or the BAR is let go.
 */
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { close as closeFd, getpid, constants as K, pidfdOpen, pollOne } from "@dataplane/sys";
import { PhysicalDmaSpace } from "../dma/physical.ts";
import { IxgbeSimError } from "../errors.ts";
import { MSIX_BAR, MSIX_BAR_BYTES } from "../model/config-space.ts";
import { BAR_BYTES } from "../model/register-map.ts";
import { SharedFile } from "./bar-store.ts";
import { busMasterEnabled, CONFIG_BYTES, clearBusMaster, fillConfig } from "./config.ts";

const SCAN_NS = 100e6;
const CHECK_NS = 200e6;
const RETRY_NS = 1e9;
/** Checks in a row that must miss a live client's resource0 mapping before it is dropped. */
const MISSES_TO_DETACH = 2;
/** IORESOURCE_MEM | IORESOURCE_MEM_64 | IORESOURCE_SIZEALIGN, plus the 64-bit type bits. */
const MEM64_FLAGS = 0x140204;
/** Resource lines a PCI function shows (6 BARs, ROM, 6 IOV BARs). */
const RESOURCE_LINES = 13;

/** What happened to the client in one poll(). */
export type ClientChange = "attached" | "detached" | null;

/** Where a port's directory goes and what it says. */
export interface SysfsDirOptions {
  /** Parent directory, existing (on tmpfs such as /dev/shm, so the shared files cost no I/O). */
  readonly root: string;
  /** Directory name, a PCI address such as 0000:5e:00.0. */
  readonly address: string;
  /** PCI function (0 or 1). */
  readonly fn: number;
  /** Bus address shown for BAR0 in config and `resource`. */
  readonly barBase: number;
  readonly log?: (line: string) => void;
  /** Called when the client is found gone, before its memory is unmapped: stop DMA here. */
  readonly beforeDetach?: () => void;
}

/** One port's device directory and its client tracking. */
export class SysfsDeviceDir {
  /** The device directory (what `sysfs:` specs name). */
  readonly dir: string;
  /** Shared config space (4096 bytes). */
  readonly config: SharedFile;
  /** Shared BAR0 (512 KiB): the Port's register file. */
  readonly resource0: SharedFile;
  /** The client's memory by physical address, while a client is attached. */
  physical: PhysicalDmaSpace | null = null;
  /** The attached client's pid, or -1. */
  clientPid = -1;
  private readonly resourcePath: string;
  private nextScan = 0;
  /** A mapper whose memory could not be reached (logged once, retried every RETRY_NS). */
  private refusedPid = -1;
  private nextCheck = 0;
  /** Consecutive checks that did not find resource0 in the live client's maps. */
  private misses = 0;
  /** pidfd of the client (readable once it exited), or -1 where the kernel has none. */
  private clientExit = -1;
  private closed = false;

  constructor(private readonly options: SysfsDirOptions) {
    this.dir = `${realpathSync(options.root)}/${options.address}`;
    rmSync(this.dir, { recursive: true, force: true });
    mkdirSync(this.dir);
    try {
      this.writeIdentity();
      this.config = SharedFile.file(`${this.dir}/config`, CONFIG_BYTES);
      fillConfig(this.config.u8, options.fn);
      const cfg = new DataView(this.config.u8.buffer, this.config.u8.byteOffset);
      cfg.setUint32(0x10, (options.barBase | 0x4) >>> 0, true);
      cfg.setUint32(0x10 + 4 * MSIX_BAR, (options.barBase + BAR_BYTES) | 0x4, true);
      this.resource0 = SharedFile.file(`${this.dir}/resource0`, BAR_BYTES);
      this.resourcePath = fileIdentity(`${this.dir}/resource0`);
    } catch (e) {
      this.removeFiles();
      throw e instanceof IxgbeSimError
        ? e
        : new IxgbeSimError("SERVE_FAILED", `cannot build ${this.dir}: ${(e as Error).message}`, {
            cause: e,
          });
    }
  }

  /**
   * Looks for a client (after Bus Master Enable) or checks that the current one is still
   * there; rate-limited by `nowNs`. Returns what changed.
   */
  poll(nowNs: number): ClientChange {
    if (this.closed) return null;
    if (this.clientPid < 0) {
      if (nowNs < this.nextScan || !busMasterEnabled(this.config.u8)) return null;
      this.nextScan = nowNs + SCAN_NS;
      const change = this.attach(findMapper(this.resourcePath));
      if (change === null && this.refusedPid >= 0) this.nextScan = nowNs + RETRY_NS;
      return change;
    }
    this.physical?.refresh(); // memory the client mapped since (rate-limited, cheap when none)
    // A client that exited is noticed at once (every housekeeping pass), not at the next check:
    // the next client may already be starting, and a late reset would land in its setup.
    const exited = this.clientExit >= 0 && pollOne(this.clientExit, K.POLLIN, 0) > 0;
    if (exited) {
      closeFd(this.clientExit);
      this.clientExit = -1;
    } else {
      if (nowNs < this.nextCheck) return null;
      this.nextCheck = nowNs + CHECK_NS;
      if (mapsFile(this.clientPid, this.resourcePath)) {
        this.misses = 0;
        return null;
      }
      // A live client whose maps did not show resource0 this once is looked at again at the
      // next check before it is dropped: dropping it resets the port and clears Bus Master
      // Enable under a driver that is still there, and one look at /proc can come up empty
      // while the client is busy changing its own mappings.
      if (existsSync(`/proc/${this.clientPid}`) && ++this.misses < MISSES_TO_DETACH) return null;
    }
    const alive = !exited && existsSync(`/proc/${this.clientPid}`);
    const other = busMasterEnabled(this.config.u8) ? findMapper(this.resourcePath) : -1;
    if (other >= 0 && alive) {
      // The client closed the device and lives on; another process maps BAR0 with bus
      // mastering on: the device has a new client, already setting it up. Serve that one,
      // without a reset in the middle of its setup.
      const was = this.clientPid;
      this.release();
      this.options.log?.(`sysfs ${this.dir}: client ${was} closed the device; next client:`);
      const change = this.attach(other);
      if (change !== null) return change;
      this.options.beforeDetach?.(); // the new one cannot be served: stop as for a detach
      clearBusMaster(this.config.u8);
      return "detached";
    }
    // The client is gone, but another process still maps BAR0 with bus mastering on: a guardian
    // about to stop the device. A real card knows nothing of the client and keeps its DMA going
    // until someone clears Bus Master Enable or resets it, so the model does the same here (the
    // client's memory stays mapped) instead of stopping on its own behalf.
    if (other >= 0) return null;
    this.detach(
      exited
        ? `client ${this.clientPid} exited`
        : `client ${this.clientPid} is gone or no longer maps resource0`,
    );
    return "detached";
  }

  /** Drops the client (if any), unmaps, removes the directory. Idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.clientPid >= 0) this.detach("closing");
    this.config.close();
    this.resource0.close();
    this.removeFiles();
  }

  [Symbol.dispose](): void {
    this.close();
  }

  private attach(pid: number): ClientChange {
    if (pid < 0) return null;
    try {
      this.physical = new PhysicalDmaSpace(pid, { rescanIntervalMs: 2 });
    } catch (e) {
      if (pid !== this.refusedPid) {
        this.options.log?.(`sysfs ${this.dir}: client ${pid} not usable: ${(e as Error).message}`);
      }
      this.refusedPid = pid;
      return null;
    }
    this.refusedPid = -1;
    this.clientPid = pid;
    try {
      this.clientExit = pidfdOpen(pid);
    } catch {
      this.clientExit = -1; // gone already, or no pidfd: the periodic check finds it
    }
    this.nextCheck = 0;
    this.options.log?.(`sysfs ${this.dir}: client ${pid} attached`);
    return "attached";
  }

  private detach(why: string): void {
    this.options.log?.(`sysfs ${this.dir}: client ${this.clientPid} detached (${why})`);
    this.options.beforeDetach?.();
    this.release();
    clearBusMaster(this.config.u8);
  }

  /** Forgets the client: its memory, its exit notification. */
  private release(): void {
    this.physical?.close();
    this.physical = null;
    this.clientPid = -1;
    this.misses = 0;
    if (this.clientExit >= 0) closeFd(this.clientExit);
    this.clientExit = -1;
    this.nextScan = 0;
  }

  private writeIdentity(): void {
    const put = (name: string, text: string) => writeFileSync(`${this.dir}/${name}`, `${text}\n`);
    const cfgHex = (v: number, digits: number) => `0x${v.toString(16).padStart(digits, "0")}`;
    put("vendor", cfgHex(0x8086, 4));
    put("device", cfgHex(0x10fb, 4));
    put("class", cfgHex(0x020000, 6));
    put("revision", cfgHex(0x01, 2));
    put("subsystem_vendor", cfgHex(0x8086, 4));
    put("subsystem_device", cfgHex(0x0003, 4));
    put("numa_node", "-1");
    const hex = (v: number) => `0x${v.toString(16).padStart(16, "0")}`;
    const lines: string[] = [];
    for (let i = 0; i < RESOURCE_LINES; i++) {
      const base = i === 0 ? this.options.barBase : this.options.barBase + BAR_BYTES;
      const size = i === 0 ? BAR_BYTES : i === MSIX_BAR ? MSIX_BAR_BYTES : 0;
      lines.push(
        size === 0
          ? `${hex(0)} ${hex(0)} ${hex(0)}`
          : `${hex(base)} ${hex(base + size - 1)} ${hex(MEM64_FLAGS)}`,
      );
    }
    writeFileSync(`${this.dir}/resource`, `${lines.join("\n")}\n`);
  }

  private removeFiles(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/**
 * How resource0 shows in /proc/<pid>/maps: "<major>:<minor> <inode>" (hex device numbers, as the
 * kernel prints them). Matching the file by identity instead of by path finds a client that
 * reached it through another path: a bind mount over /sys/bus/pci/devices/<address> in a
 * private mount namespace, a symlink, a copy of the tree.
 */
function fileIdentity(path: string): string {
  const st = statSync(path);
  const dev = st.dev;
  const major = Math.floor(dev / 256) & 0xfff; // dev_t from glibc: major in bits 8..19
  const minor = (dev & 0xff) | (Math.floor(dev / 4096) & ~0xff);
  const hex = (n: number) => n.toString(16).padStart(2, "0");
  return ` ${hex(major)}:${hex(minor)} ${st.ino} `;
}

/** True when process `pid` maps the file whose identity is `id` (see fileIdentity). */
function mapsFile(pid: number, id: string): boolean {
  try {
    return readFileSync(`/proc/${pid}/maps`, "utf8").includes(id);
  } catch {
    return false; // gone
  }
}

/** The first process other than this one that maps the file `id` names, or -1. */
function findMapper(id: string): number {
  const self = getpid();
  for (const name of readdirSync("/proc")) {
    const pid = Number(name);
    if (!Number.isInteger(pid) || pid === self) continue;
    if (mapsFile(pid, id)) return pid;
  }
  return -1;
}
