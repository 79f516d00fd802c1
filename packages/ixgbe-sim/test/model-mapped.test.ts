/*
 * syncMapped(): a client that maps all of BAR0 (sysfs mode) writes registers straight into
 * memory; the model must find those writes and apply their side effects.
 */
import { describe, expect, test } from "bun:test";
import * as R from "@dataplane/ixgbe/regs";
import { WindowDmaSpace } from "../src/dma/window-dma.ts";
import { POLL_SLICE_WORDS, PUBLISH_NS } from "../src/model/mapped-sync.ts";
import { Port } from "../src/model/port.ts";
import { MAPPED_ALL, mappedWords } from "../src/model/register-map.ts";
import { S } from "../src/model/stats.ts";
import { QueueWire } from "./conformance/queue-wire.ts";

function mappedPort() {
  const dma = new WindowDmaSpace();
  dma.map(0x100000, 1 << 20);
  let now = 1e9;
  const irqs: number[] = [];
  const port = new Port({
    dma,
    wire: new QueueWire(),
    mapped: MAPPED_ALL,
    linkUpDelayMs: 1,
    clock: () => now,
    irq: (v) => irqs.push(v),
  });
  const bar = port.bar;
  const store = (off: number, v: number) => Atomics.store(bar, off >>> 2, v >>> 0);
  const load = (off: number) => Atomics.load(bar, off >>> 2);
  const tick = (ms = 0) => {
    now += ms * 1e6 + 1000;
    port.syncMapped();
    port.step(8);
    port.syncMapped();
  };
  return { port, dma, store, load, tick, irqs };
}

describe("mapped BAR0 (sysfs mode)", () => {
  test("nothing written: syncMapped reports no change", () => {
    const { port, dma } = mappedPort();
    expect(port.syncMapped()).toBe(0);
    expect(port.syncMapped()).toBe(0);
    dma.close();
  });

  test("CTRL.RST written into memory resets the device and self-clears", () => {
    const { port, dma, store, load, tick } = mappedPort();
    store(R.FCTRL, 0x700);
    store(R.CTRL, R.CTRL_RST_MASK);
    tick();
    expect(load(R.CTRL) & R.CTRL_RST).toBe(R.CTRL_RST); // the reset takes ~1 ms
    expect(load(R.EEC) & R.EEC_ARD).toBe(0);
    tick(2);
    expect(load(R.CTRL)).toBe(0);
    expect(load(R.EEC) & R.EEC_ARD).toBe(R.EEC_ARD);
    expect(load(R.RDRXCTL) & R.RDRXCTL_DMAIDONE).toBe(R.RDRXCTL_DMAIDONE);
    expect(load(R.FCTRL)).toBe(0);
    expect(port.stats().resets).toBe(1);
    dma.close();
  });

  test("EIMS/EIMC writes act as set/clear; EICS fires; read-only words are restored", () => {
    const { dma, store, load, tick, irqs } = mappedPort();
    store(R.EIMS, 0x5);
    tick();
    store(R.EIMS, 0x2); // a plain store of another value still only sets bits
    tick();
    expect(load(R.EIMS)).toBe(0x7);
    store(R.EIMC, 0x1);
    tick();
    expect(load(R.EIMS)).toBe(0x6);
    expect(load(R.EIMC)).toBe(0);
    store(R.EICS, 0x4);
    tick();
    expect(irqs).toEqual([0]); // MSI/INTx mode: one interrupt
    expect(load(R.EICR) & 0x4).toBe(0x4);
    const status = load(R.STATUS);
    store(R.STATUS, 0);
    tick();
    expect(load(R.STATUS)).toBe(status);
    dma.close();
  });

  test("alias writes show at both addresses; RXDCTL enable is noticed; RDH and stats published", () => {
    const { port, dma, store, load, tick } = mappedPort();
    store(R.SRRCTL_ALIAS(2), 0x12000002);
    tick();
    expect(load(R.SRRCTL(2))).toBe(0x12000002);
    store(R.RAL(1), 0x11223344);
    tick();
    expect(load(R.RAL_ALIAS(1))).toBe(0x11223344);
    store(R.RDBAL(0), 0x100000);
    store(R.RDLEN(0), 128);
    store(R.RXDCTL(0), R.RXDCTL_ENABLE);
    tick();
    expect(port.core.rxEnabled[0]).toBe(1);
    expect(load(R.QPRC(0))).toBe(0);
    dma.close();
  });

  test("link comes up in memory without any trapped read", () => {
    const { dma, store, load, tick } = mappedPort();
    tick(2);
    expect(load(R.LINKS) & R.LINKS_UP).toBe(0); // not before autonegotiation is restarted
    store(R.AUTOC, R.AUTOC_LMS_10G_SERIAL | R.AUTOC_AN_RESTART);
    tick();
    tick(2);
    expect(load(R.LINKS) & R.LINKS_UP).toBe(R.LINKS_UP);
    expect(load(R.STATUS) & R.STATUS_LINK_UP).toBe(R.STATUS_LINK_UP);
    dma.close();
  });

  test("pollMapped: every watched word within a round of slices; stats at most every 100 us", () => {
    const { port, dma, store, load } = mappedPort();
    const rounds = Math.ceil(mappedWords(MAPPED_ALL).watch.length / POLL_SLICE_WORDS);
    expect(rounds).toBeGreaterThan(1);
    let now = 2e9;
    // Queue 127's RXDCTL sits late in the watch list: one slice does not reach it.
    store(R.RDBAL(127), 0x100000);
    store(R.RDLEN(127), 128);
    store(R.RXDCTL(127), R.RXDCTL_ENABLE);
    port.pollMapped(now);
    expect(port.core.rxEnabled[127]).toBe(0);
    for (let i = 1; i < rounds; i++) port.pollMapped(now);
    expect(port.core.rxEnabled[127]).toBe(1);
    // Statistics: republished by the first poll after PUBLISH_NS, at once by syncMapped().
    const bump = (n: number) => {
      port.core.counters.acc[S.GPRC] += n;
      port.core.statsVersion++;
    };
    port.pollMapped(now);
    bump(5);
    now += PUBLISH_NS / 2;
    port.pollMapped(now);
    expect(load(R.GPRC)).toBe(0);
    now += PUBLISH_NS / 2;
    port.pollMapped(now);
    expect(load(R.GPRC)).toBe(5);
    bump(2);
    port.pollMapped(now + 1);
    expect(load(R.GPRC)).toBe(5);
    port.syncMapped();
    expect(load(R.GPRC)).toBe(7);
    dma.close();
  });
});
