/*
 * The accessor the conformance suite drives a model through. It names only what a driver and
 * a test bench can do from outside (BAR0 accesses, host memory, interrupts, the wire, control
 * commands), so the same suite can run in-process today and over vfio-user or a sysfs-style
 * directory later.
 */
import type { DmaFaultSpec, FaultRecord, MalformedSpec } from "../../src/model/faults.ts";
import type { ViolationReport } from "../../src/model/rules.ts";
import type { PortStats } from "../../src/model/stats-report.ts";

/** Control-plane commands (the process shell serves these on its control socket). */
export interface ConformanceControl {
  linkDown(): void;
  linkUp(delayMs?: number): void;
  injectDmaFault(spec?: DmaFaultSpec): void;
  injectMalformedDescriptor(spec: MalformedSpec): void;
  injectCrcErrors(count?: number): void;
  stats(): PortStats;
  faults(): readonly FaultRecord[];
  /** Datasheet rules broken so far (ctl violations). */
  violations(): ViolationReport;
}

/** What the transport can promise about register read side effects. */
export interface ConformanceTraits {
  /** Statistics in the mapped RX/TX queue pages (QPRC, QPRDC, QBRC, QPTC alias) clear on read. */
  readonly queuePageStatsClearOnRead: boolean;
}

/** One model instance under test, seen from outside. */
export interface ConformanceTarget {
  read32(offset: number): number;
  write32(offset: number, value: number): void;
  /** Host memory the device may DMA into, visible to the device at `memIova`. */
  readonly mem: Uint8Array;
  readonly mem32: Uint32Array;
  readonly memIova: number;
  /** Vectors delivered, in order. */
  readonly irqs: number[];
  /** Runs the device loop `steps` times (datapath and mapped-register sync). */
  run(steps?: number): void;
  /** Lets `ms` of device time pass, then runs the loop once. */
  advanceMs(ms: number): void;
  /** A frame (without FCS) arrives on the port's wire. */
  inject(frame: Uint8Array): void;
  /** Frames (without FCS) the port transmitted since the last call. */
  sent(): Uint8Array[];
  readonly control: ConformanceControl;
  readonly traits: ConformanceTraits;
  close(): void;
}

/** Builds a fresh target; `linkUpDelayMs` is the model's link bring-up delay. */
export type TargetFactory = (options: { linkUpDelayMs: number }) => ConformanceTarget;
