/*
 * Port: one function of the 82599ES (8086:10FB). The client reaches it through trapped 32-bit
 * register accesses (mmioRead/mmioWrite) and through registers it maps and writes directly
 * (syncMapped finds those writes); a busy loop calls step() to move frames between the wire
 * and host memory. The control plane flaps the link, injects faults and reads stats().
 */
import * as R from "@dataplane/ixgbe/regs";
import type { DmaSpace } from "../dma/dma-space.ts";
import { IxgbeSimError } from "../errors.ts";
import type { Wire } from "../wire/wire.ts";
import { KS, PortCore } from "./core.ts";
import { applyResetValues, parseMac } from "./defaults.ts";
import { eepromImage } from "./eeprom.ts";
import type { DmaFaultSpec, FaultRecord, MalformedSpec } from "./faults.ts";
import { LinkUnit } from "./link.ts";
import { MappedSync } from "./mapped-sync.ts";
import {
  ARG,
  BAR_WORDS,
  K,
  KIND,
  MAPPED_NONE,
  type MappedRange,
  mappedWords,
  PARTNER,
  PRIMARY,
} from "./register-map.ts";
import { RESET_TIMING_DEFAULT, ResetTimer, type ResetTiming } from "./reset-timing.ts";
import { type Strictness, type ViolationReport, ViolationUnit } from "./rules.ts";
import { RxPath } from "./rx.ts";
import { ESDP, esdpRead, I2CCTL, I2CCTL_IDLE, SfpModule } from "./sfp-module.ts";
import { STAT_REGISTERS } from "./stats.ts";
import { type PortStats, portStats } from "./stats-report.ts";
import { TxPath } from "./tx.ts";
import { writeRegister } from "./write.ts";

/** How a port is built. */
export interface PortOptions {
  /** Host memory as the device sees it. */
  readonly dma: DmaSpace;
  /** What the MAC is cabled to. */
  readonly wire: Wire;
  /** MSI-X (or MSI/INTx: vector 0) delivery. Default: interrupts are dropped. */
  readonly irq?: (vector: number) => void;
  /** BAR0 backing store, 0x20000 words (may be shared memory). Default: a fresh array. */
  readonly bar?: Uint32Array;
  /** PCI function / STATUS.LAN_ID, 0 or 1. Default 0. */
  readonly lanId?: number;
  /** The EEPROM MAC loaded into RAL(0)/RAH(0) on every reset. Default 02:00:00:82:59:9<lan>. */
  readonly mac?: string | Uint8Array;
  /** Link comes up this long after an AN restart (lenient: also after a reset), ms. Default 10. */
  readonly linkUpDelayMs?: number;
  /** Queues per direction that can be enabled (1..128). Default 128. */
  readonly queues?: number;
  /** BAR0 ranges the client maps and writes directly. Default: none (all trapped). */
  readonly mapped?: readonly MappedRange[];
  /** Clock in ns (tests pass a fake one). Default Bun.nanoseconds. */
  readonly clock?: () => number;
  /** Fault log entries kept. Default 256. */
  readonly faultLogSize?: number;
  /**
   * How the datasheet's rules are judged (rules.ts): "strict" (default) reports violations and
   * behaves as the card (reset timing, link only after AN restart); "lenient" judges nothing and
   * keeps the older permissive behaviour (instant reset, link up by itself); "fatal" is strict
   * and stops the port's datapath at the first violation.
   */
  readonly strictness?: Strictness;
  /** Delays after CTRL.RST (strict modes). Default RESET_TIMING_DEFAULT. */
  readonly resetTiming?: Partial<ResetTiming>;
  /** Where the first violation of each rule is printed. Default: nowhere. */
  readonly log?: (line: string) => void;
}

/** One 82599 port: register file, DMA engine, statistics, interrupts, link. */
export class Port {
  /** BAR0 backing store (the register file as the client would map it). */
  readonly bar: Uint32Array;
  /** PCI function number. */
  readonly lanId: number;
  /** EEPROM MAC address. */
  readonly mac: Uint8Array;
  /** Queues per direction that can be enabled. */
  readonly queues: number;
  /** @internal shared state */
  readonly core: PortCore;
  /** @internal */
  readonly link: LinkUnit;
  /** @internal */
  readonly rx: RxPath;
  /** @internal */
  readonly tx: TxPath;
  /** @internal EEPROM words served through EERD. */
  readonly eeprom = eepromImage();
  /** @internal the SFP+ module in the cage, on the I2CCTL pins */
  readonly sfp = new SfpModule();
  /** @internal pending steps of a CTRL.RST */
  readonly resetTimer: ResetTimer;
  private readonly clock: () => number;
  private readonly mapped: MappedSync;
  private iter = 0;

  constructor(options: PortOptions) {
    const bar = options.bar ?? new Uint32Array(BAR_WORDS);
    if (bar.length !== BAR_WORDS) {
      throw new IxgbeSimError(
        "BAD_BAR",
        `BAR0 store has ${bar.length} words; give exactly ${BAR_WORDS} (512 KiB)`,
      );
    }
    this.lanId = options.lanId ?? 0;
    if (this.lanId !== 0 && this.lanId !== 1) {
      throw new IxgbeSimError(
        "BAD_OPTION",
        `lanId ${this.lanId}: the 82599ES has functions 0 and 1`,
      );
    }
    const mac = parseMac(options.mac ?? `02:00:00:82:59:9${this.lanId}`);
    if (mac === null) {
      throw new IxgbeSimError(
        "BAD_OPTION",
        `mac ${String(options.mac)}: use the form 02:00:00:82:59:90`,
      );
    }
    this.mac = mac;
    this.queues = options.queues ?? 128;
    if (!Number.isInteger(this.queues) || this.queues < 1 || this.queues > 128) {
      throw new IxgbeSimError("BAD_OPTION", `queues ${this.queues}: give 1..128`);
    }
    const delayMs = options.linkUpDelayMs ?? 10;
    if (!(delayMs >= 0))
      throw new IxgbeSimError("BAD_OPTION", `linkUpDelayMs ${delayMs}: give >= 0`);
    this.bar = bar;
    this.clock = options.clock ?? Bun.nanoseconds;
    const deliver = options.irq ?? (() => {});
    // A firing vector first flushes the batched TX write-backs of its queues (TxPath).
    const irq = (vector: number): void => {
      this.tx.flushForVector(vector);
      deliver(vector);
    };
    const violations = new ViolationUnit(options.strictness ?? "strict", options.log ?? (() => {}));
    this.core = new PortCore(
      bar,
      options.dma,
      options.wire,
      irq,
      options.faultLogSize ?? 256,
      violations,
    );
    const timing = { ...RESET_TIMING_DEFAULT, ...options.resetTiming };
    for (const [k, v] of Object.entries(timing)) {
      if (!(v >= 0 && v <= 1000)) {
        throw new IxgbeSimError("BAD_OPTION", `resetTiming.${k} ${v}: give 0..1000 ms`);
      }
    }
    this.resetTimer = new ResetTimer(this.core, timing);
    this.link = new LinkUnit(this.core, delayMs * 1e6, violations.strict);
    this.rx = new RxPath(this.core);
    this.tx = new TxPath(this.core);
    const m = mappedWords(options.mapped ?? MAPPED_NONE);
    this.mapped = new MappedSync(this, m.watch, m.publish);
    this.core.k[KS.RESETS]--; // the power-on reset is not counted
    this.reset();
  }

  /** Device reset, done at once by the model (power-on, `ctl reset`, a client leaving): every
   * register to its default, queues off, stats 0, MAC reloaded, link down (lenient: back up
   * after the configured delay; strict: once the driver restarts autonegotiation). Injection
   * switches stay. */
  reset(): void {
    const c = this.core;
    c.now = this.clock();
    this.resetTimer.clear();
    applyResetValues(c.bar, this.lanId, this.mac);
    c.bar[I2CCTL >>> 2] = this.sfp.drive(I2CCTL_IDLE); // the MAC releases both I2C lines
    c.bar[ESDP >>> 2] = esdpRead(0); // all pins inputs; SDP2 shows the seated module
    // Strict: SECRXSTAT.SECRX_RDY reads 0 until RX_DIS halts the security block (§8.2.3.12.2).
    if (c.violations.strict) c.bar[R.SECRXSTAT >>> 2] = 0;
    c.shadow.set(c.bar);
    c.counters.clear();
    c.intr.reset();
    this.rx.reset();
    this.tx.reset();
    for (let q = 0; q < c.rxActiveCount; q++) c.rxRefetch[c.rxActive[q] as number] = 1;
    c.rxEnabled.fill(0);
    c.rxActiveCount = 0;
    c.txEnabled.fill(0);
    c.qde.fill(0);
    c.rxHead.fill(0);
    c.txHead.fill(0);
    c.rebuildTxActive();
    c.filterDirty = true;
    c.rssKeyDirty = true;
    c.k[KS.RESETS]++;
    this.link.deviceReset(c.now);
    c.statsVersion++;
  }

  /**
   * CTRL.RST written by the client: the reset as above, but in the strict modes it takes the
   * datasheet's time (reset-timing.ts): CTRL.RST reads 1 until it completes, then EEC.ARD and
   * RDRXCTL.DMAIDONE rise.
   */
  softwareReset(bits: number = R.CTRL_RST): void {
    this.reset();
    if (this.core.violations.strict) this.resetTimer.start(this.core.now, bits);
  }

  /** Datasheet rules broken so far (see rules.ts), per rule with the first occurrence. */
  violations(): ViolationReport {
    return this.core.violations.summary();
  }

  /** A trapped 32-bit read at byte `offset` of BAR0, with the register's read side effects. */
  mmioRead(offset: number): number {
    if (offset >>> 0 >= BAR_WORDS * 4 || (offset & 3) !== 0) return 0;
    const c = this.core;
    const w = PRIMARY[offset >>> 2];
    this.resetTimer.poll(this.clock());
    switch (KIND[w]) {
      case K.STAT:
        return c.counters.read(STAT_REGISTERS[ARG[w]]);
      case K.EICR:
        return c.intr.readEicr();
      case K.EIMS:
      case K.EIMS_EX:
        return c.intr.readEims(ARG[w]);
      case K.EICS:
        // Reading EICS returns EICR's causes without clearing them: Linux's and FreeBSD's ixgbe
        // read it in their "other" interrupt handler and clear with an EICR write (their
        // errata note, "Reading with EICS will return the interrupt causes without clearing").
        return c.intr.peekEicr();
      case K.EIMC:
      case K.EICS_EX:
      case K.EIMC_EX:
      case K.WO:
        return 0;
      case K.LINKS:
        return this.link.readLinks(this.clock());
      case K.RDH:
        return c.rxHead[ARG[w]];
      case K.SWSM: {
        const v = c.bar[w];
        if ((v & R.SWSM_SMBI) === 0) c.set(w, v | R.SWSM_SMBI); // read-to-set semaphore
        return v;
      }
      default:
        return c.bar[w];
    }
  }

  /** A trapped 32-bit write at byte `offset` of BAR0, with the register's write side effects. */
  mmioWrite(offset: number, value: number): void {
    if (offset >>> 0 >= BAR_WORDS * 4 || (offset & 3) !== 0) return;
    const w = PRIMARY[offset >>> 2];
    this.core.now = this.clock();
    this.resetTimer.poll(this.core.now);
    writeRegister(this, w, value >>> 0, this.core.bar[w] as number);
    const p = PARTNER[w];
    if (p >= 0) this.core.set(p, this.core.bar[w]);
  }

  /**
   * Applies writes the client made directly into mapped registers since the last call, and
   * publishes device-written words there (statistics). Returns the number of words changed.
   * Cost: one Atomics.load per watched word (~550 in vfio-user mode); a busy loop calls
   * pollMapped() instead.
   */
  syncMapped(): number {
    const now = this.clock();
    this.core.now = now;
    this.resetTimer.poll(now);
    return this.mapped.sync(now);
  }

  /**
   * The busy loop's cheap form of syncMapped(): checks one slice of the watched words (all of
   * them within a few calls) and republishes statistics at most every 100 us. `now` is the
   * loop's clock reading.
   */
  pollMapped(now: number): number {
    this.core.now = now;
    this.resetTimer.poll(now);
    return this.mapped.poll(now);
  }

  /**
   * Runs the datapath once: up to `budget` frames received and `budget` TX descriptors
   * processed, at device time `now` (default: a clock reading). Returns the work done (0 when
   * idle, so the caller can back off).
   */
  step(budget = 64, now = this.clock()): number {
    const c = this.core;
    c.now = now;
    c.stepId++;
    this.link.poll(now);
    this.resetTimer.poll(now);
    if (c.violations.stopped) return 0; // --strict-fatal: the first violation stopped the port
    if (c.intr.pending) c.intr.flush(now);
    if ((++this.iter & 1023) === 0) c.wire.tick(now);
    return this.rx.step(budget) + this.tx.step(budget);
  }

  /** Pulls the cable: link down now (LSC), and it stays down until linkUp(). */
  linkDown(): void {
    this.link.unplug(this.clock());
  }

  /** Plugs the cable back: link up after `delayMs` (default 0: at once), with LSC. */
  linkUp(delayMs = 0): void {
    this.link.plug(this.clock(), delayMs * 1e6);
  }

  /** True while the link is up. */
  get isLinkUp(): boolean {
    return this.core.linkUp;
  }

  /** Makes the next `count` DMA accesses to the given targets fail as unmapped addresses. */
  injectDmaFault(spec: DmaFaultSpec = {}): void {
    this.core.faults.armDma(spec);
  }

  /** Treats the next descriptor(s) fetched as having the given defect. */
  injectMalformedDescriptor(spec: MalformedSpec): void {
    this.core.faults.armMalformed(spec);
  }

  /** The next `count` frames from the wire arrive with a bad FCS (CRCERRS, dropped). */
  injectCrcErrors(count = 1): void {
    this.rx.crcErrors += count;
  }

  /** Recent faults, oldest first (bounded). */
  get faults(): readonly FaultRecord[] {
    return this.core.faults.log;
  }

  /** A JSON-ready snapshot of the model's own counters (not the clear-on-read registers). */
  stats(): PortStats {
    return portStats(this);
  }
}
