/*
 * Conformance targets over a real simulator process (startSim, manual clock, a queue wire):
 * BAR0 through a transport (vfio-user client, or resource0 of a sysfs-style directory with
 * physical addresses), host memory from hugepages, interrupts from eventfds, and everything the
 * suite does "from outside" (inject, sent, link, faults, stats, time) through the control socket.
 * One process and one client per test file; each test gets a power-cycled model.
 */
import { test } from "bun:test";
import { readFileSync } from "node:fs";
import { allocate, type HugeRegion } from "@dataplane/hugemem";
import { type Mmio, openDevice } from "@dataplane/pci";
import { constants as C, close, eventfd, eventfdRead, PollSet } from "@dataplane/sys";
import { connectVfioUser, IRQ_MSIX, REGION_BAR0, type VfioUserClient } from "@dataplane/vfio";
import { ControlClient, type ControlRequest } from "../src/control/client.ts";
import type { ViolationReport } from "../src/model/rules.ts";
import type { PortStats } from "../src/model/stats-report.ts";
import { type SimHandle, startSim } from "../src/runtime/start.ts";
import type { ConformanceTarget, ConformanceTraits, TargetFactory } from "./conformance/target.ts";

/**
 * What this machine lacks for the process tests (free 2 MiB hugepages, root for the sysfs
 * mode), or null. In CI a lack is an error; elsewhere the tests skip with this reason.
 */
export function missingRequirement(needRoot: boolean, pages = 2): string | null {
  const m = /HugePages_Free:\s+(\d+)/.exec(readFileSync("/proc/meminfo", "utf8"));
  if (Number(m?.[1] ?? 0) < pages) return `needs ${pages} free 2 MiB hugepages (reserve some)`;
  if (needRoot && process.getuid?.() !== 0) return "needs root (map_files, pagemap PFNs)";
  return null;
}

/** Declares `body` unless a requirement is missing: then fails in CI, skips elsewhere. */
export function whenAvailable(needRoot: boolean, title: string, body: () => void, pages = 2): void {
  const missing = missingRequirement(needRoot, pages);
  if (missing === null) {
    body();
    return;
  }
  if (process.env.CI === "true") throw new Error(`${title}: ${missing}`);
  test.skip(`${title} (${missing})`, () => {});
}

/** Host memory per target (the suite's layout needs 4 MiB). */
export const HOST_BYTES = 4 * 1024 * 1024;
/** IOVA the vfio-user target maps host memory at (above 4 GiB: both halves matter). */
export const VFIO_IOVA = 0x2_0000_0000;
const VECTORS = 64;

/** Eventfds for every MSI-X vector; collect() appends the vectors that fired. */
class IrqLog {
  readonly fds: number[] = [];
  private readonly set: PollSet;

  constructor() {
    for (let v = 0; v < VECTORS; v++) this.fds.push(eventfd(0, C.EFD_NONBLOCK));
    this.set = new PollSet(this.fds, C.POLLIN);
  }

  collect(out: number[]): void {
    if (this.set.wait(0) === 0) return;
    for (let v = 0; v < VECTORS; v++) {
      if (this.set.revents(v) === 0) continue;
      const n = eventfdRead(this.fds[v] as number);
      for (let i = 0; i < n; i++) out.push(v);
    }
  }

  close(): void {
    for (const fd of this.fds) close(fd);
  }
}

/** A simulator plus one client of port 0, shared by the tests of a file. */
export interface Remote {
  readonly sim: SimHandle;
  readonly ctl: ControlClient;
  readonly mmio: Mmio;
  readonly mem: HugeRegion;
  readonly memIova: number;
  readonly irq: IrqLog | null;
  readonly traits: ConformanceTraits;
  close(): Promise<void>;
}

async function simForConformance(sysfs: string | null): Promise<SimHandle> {
  return startSim({ ports: 1, wires: ["queue"], linkDelayMs: 1, manualClock: true, sysfs });
}

/** Starts a simulator and opens port 0 over vfio-user, memory mapped at VFIO_IOVA. */
export async function openVfioUserRemote(): Promise<Remote> {
  const sim = await simForConformance(null);
  const parts: { c?: VfioUserClient; mem?: HugeRegion; irq?: IrqLog; ctl?: ControlClient } = {};
  try {
    parts.mem = allocate({ bytes: HOST_BYTES, name: "conformance-vfio-user" });
    const c = connectVfioUser((sim.specs[0] as string).slice("vfio-user:".length));
    parts.c = c;
    c.writeConfig(4, 2, c.readConfig(4, 2) | 0x6); // memory space + bus master
    const mmio = c.mapRegion(REGION_BAR0);
    c.dmaMap(parts.mem, VFIO_IOVA);
    parts.irq = new IrqLog();
    c.setIrqEventfds(IRQ_MSIX, 0, parts.irq.fds);
    parts.ctl = new ControlClient(sim.controlPath);
    const { mem, irq, ctl } = parts;
    return {
      sim,
      ctl,
      mmio,
      mem,
      memIova: VFIO_IOVA,
      irq,
      traits: { queuePageStatsClearOnRead: false },
      async close() {
        ctl.close();
        c.close();
        irq.close();
        mem.close();
        await sim.stop();
      },
    };
  } catch (e) {
    parts.ctl?.close();
    parts.c?.close();
    parts.irq?.close();
    parts.mem?.close();
    await sim.stop();
    throw e;
  }
}

/** Starts a simulator with a sysfs directory and opens port 0 through resource0. */
export async function openSysfsRemote(): Promise<Remote> {
  const root = `/dev/shm/ixgbe-sim-conformance-${process.pid}`;
  const sim = await simForConformance(root);
  let mem: HugeRegion | null = null;
  let mmio: Mmio | null = null;
  const ctl = new ControlClient(sim.controlPath);
  try {
    // Memory first: the simulator maps the client's hugepages when it finds the client.
    mem = allocate({ bytes: HOST_BYTES, contiguous: true, name: "conformance-sysfs" });
    const pci = openDevice(sim.sysfs[0] as string);
    pci.enableBusMaster();
    mmio = pci.mapResource(0);
    await waitForClient(ctl, process.pid);
    const m = mem;
    const bar = mmio;
    return {
      sim,
      ctl,
      mmio: bar,
      mem: m,
      memIova: m.physicalAddress(0),
      irq: null,
      traits: { queuePageStatsClearOnRead: false },
      async close() {
        ctl.close();
        bar.close();
        m.close();
        await sim.stop();
      },
    };
  } catch (e) {
    ctl.close();
    mmio?.close();
    mem?.close();
    await sim.stop();
    throw e;
  }
}

/** Waits until the simulator has found `pid` as port 0's sysfs client. */
export async function waitForClient(
  ctl: ControlClient,
  pid: number,
  timeoutMs = 20_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const s = ctl.call({ cmd: "stats", port: 0 }) as {
      transport: { sysfs: { clientPid: number } };
    };
    if (s.transport.sysfs.clientPid === pid) return;
    if (Date.now() > deadline)
      throw new Error(`simulator did not find client ${pid} in ${timeoutMs} ms`);
    await Bun.sleep(20);
  }
}

const hex = (f: Uint8Array): string =>
  Buffer.from(f.buffer, f.byteOffset, f.length).toString("hex");

/** A factory of targets over `r`: each call power-cycles port 0 and clears host memory. */
export function remoteFactory(r: Remote): TargetFactory {
  return () => {
    const irqs: number[] = [];
    const call = (req: ControlRequest): unknown => {
      const out = r.ctl.call(req);
      r.irq?.collect(irqs);
      return out;
    };
    const onPort = (cmd: string, args?: object): unknown =>
      call({ cmd, port: 0, ...(args === undefined ? {} : { args: { ...args } }) });
    onPort("power-cycle");
    r.mem.u8.fill(0);
    r.irq?.collect([]);
    const target: ConformanceTarget = {
      read32: (off) => {
        const v = r.mmio.read32(off);
        r.irq?.collect(irqs);
        return v >>> 0;
      },
      write32: (off, v) => {
        r.mmio.write32(off, v >>> 0);
        r.irq?.collect(irqs);
      },
      mem: r.mem.u8.subarray(0, HOST_BYTES),
      mem32: r.mem.u32.subarray(0, HOST_BYTES >>> 2),
      memIova: r.memIova,
      irqs,
      run: (steps = 1) => {
        call({ cmd: "step", args: { count: steps } });
      },
      advanceMs: (ms) => {
        call({ cmd: "advance", args: { ms } });
        target.run(1);
      },
      inject: (frame) => {
        onPort("inject", { frames: [hex(frame)] });
      },
      sent: () =>
        (onPort("sent") as { frames: string[] }).frames.map(
          (h) => new Uint8Array(Buffer.from(h, "hex")),
        ),
      control: {
        linkDown: () => void onPort("link-down"),
        linkUp: (delayMs) => void onPort("link-up", delayMs === undefined ? {} : { delayMs }),
        injectDmaFault: (spec) => void onPort("dma-fault", spec ?? {}),
        injectMalformedDescriptor: (spec) => void onPort("malformed", spec),
        injectCrcErrors: (count) => void onPort("crc-errors", count === undefined ? {} : { count }),
        stats: () => (onPort("stats") as { model: PortStats }).model,
        faults: () => (onPort("faults") as { faults: [] }).faults,
        violations: () => onPort("violations") as ViolationReport,
      },
      traits: r.traits,
      close: () => {},
    };
    return target;
  };
}
