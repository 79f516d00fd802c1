/*
 * The in-process transport for the conformance suite: a Port over a WindowDmaSpace (anonymous
 * mapping at a fixed IOVA above 4 GiB, so both address halves matter), a QueueWire and a fake
 * clock. With `mapped`, accesses inside the mapped ranges go straight to BAR0 memory as a
 * client's mmap would, and run() calls syncMapped() like the server loop.
 */
import type { DmaSpace } from "../../src/dma/dma-space.ts";
import { WindowDmaSpace } from "../../src/dma/window-dma.ts";
import { Port, type PortOptions } from "../../src/model/port.ts";
import type { MappedRange } from "../../src/model/register-map.ts";
import { QueueWire } from "./queue-wire.ts";
import type { ConformanceTarget, TargetFactory } from "./target.ts";

/** IOVA of host memory in the in-process target (above 4 GiB on purpose). */
export const HOST_IOVA = 0x2_0000_0000;
/** Host memory size. */
export const HOST_BYTES = 4 * 1024 * 1024;

/** Host memory as the device sees it (`dma`) and as the host does (HOST_BYTES at HOST_IOVA). */
export interface HostMemory {
  readonly dma: DmaSpace;
  readonly mem: Uint8Array;
  readonly mem32: Uint32Array;
  close(): void;
}

/** The default host memory: one anonymous window, readable and writable by the device. */
function windowMemory(): HostMemory {
  const dma = new WindowDmaSpace();
  const win = dma.map(HOST_IOVA, HOST_BYTES);
  const mem = dma.u8[win] as Uint8Array;
  const mem32 = dma.u32[win] as Uint32Array;
  return { dma, mem, mem32, close: () => dma.close() };
}

/**
 * Makes a factory of in-process targets, optionally with mapped register ranges, further port
 * options (strictness, log, reset timing) and host memory of the caller's (e.g. windows with
 * protections).
 */
export function inProcessFactory(
  mapped: readonly MappedRange[] = [],
  extra: Pick<PortOptions, "strictness" | "log" | "resetTiming"> = {},
  host: () => HostMemory = windowMemory,
): TargetFactory {
  return ({ linkUpDelayMs }) => {
    const { dma, mem, mem32, close } = host();
    const wire = new QueueWire();
    const irqs: number[] = [];
    let now = 1e9;
    const port = new Port({
      dma,
      wire,
      irq: (v) => irqs.push(v),
      linkUpDelayMs,
      mapped,
      clock: () => now,
      ...extra,
    });
    const isMapped = (off: number) => mapped.some((r) => off >= r.start && off < r.end);
    const target: ConformanceTarget = {
      read32: (off) => (isMapped(off) ? Atomics.load(port.bar, off >>> 2) : port.mmioRead(off)),
      write32: (off, v) => {
        if (isMapped(off)) Atomics.store(port.bar, off >>> 2, v >>> 0);
        else port.mmioWrite(off, v);
      },
      mem,
      mem32,
      memIova: HOST_IOVA,
      irqs,
      run(steps = 1) {
        for (let i = 0; i < steps; i++) {
          if (mapped.length > 0) port.syncMapped();
          now += 1000;
          port.step(64);
        }
        if (mapped.length > 0) port.syncMapped();
      },
      advanceMs(ms) {
        now += ms * 1e6;
        target.run(1);
      },
      inject: (frame) => {
        wire.inbound.push(frame);
      },
      sent: () => wire.outbound.splice(0),
      control: {
        linkDown: () => port.linkDown(),
        linkUp: (delayMs) => port.linkUp(delayMs),
        injectDmaFault: (spec) => port.injectDmaFault(spec),
        injectMalformedDescriptor: (spec) => port.injectMalformedDescriptor(spec),
        injectCrcErrors: (n) => port.injectCrcErrors(n),
        stats: () => port.stats(),
        faults: () => port.faults,
        violations: () => port.violations(),
      },
      traits: { queuePageStatsClearOnRead: mapped.length === 0 },
      close,
    };
    return target;
  };
}
