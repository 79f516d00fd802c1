/*
 * How strictly the model judges: --lenient keeps the older permissive behaviour and reports
 * nothing; --strict-fatal stops the port's datapath at the first violation; every rule is
 * logged once however often it is broken; reset timing options are validated.
 */
import { expect, test } from "bun:test";
import * as R from "@dataplane/ixgbe/regs";
import { WindowDmaSpace } from "../src/dma/window-dma.ts";
import { IxgbeSimError } from "../src/errors.ts";
import { Port } from "../src/model/port.ts";
import { initPort, OTHER_MAC, rawFrame, resetDevice, setupRx } from "./conformance/host.ts";
import { inProcessFactory } from "./conformance/in-process.ts";
import { QueueWire } from "./conformance/queue-wire.ts";

test("lenient: instant reset, link without AN restart, DMAIDONE on write, TX before TE, nothing reported", () => {
  const t = inProcessFactory([], { strictness: "lenient" })({ linkUpDelayMs: 1 });
  try {
    t.write32(R.CTRL, R.CTRL_RST);
    expect(t.read32(R.CTRL)).toBe(0);
    expect(t.read32(R.EEC) & R.EEC_ARD).toBe(R.EEC_ARD);
    t.advanceMs(2);
    expect(t.read32(R.LINKS) & R.LINKS_UP).toBe(R.LINKS_UP);
    t.write32(R.RDRXCTL, 0);
    expect(t.read32(R.RDRXCTL) & R.RDRXCTL_DMAIDONE).toBe(R.RDRXCTL_DMAIDONE);
    expect(t.read32(R.SECRXSTAT) & R.SECRXSTAT_SECRX_RDY).toBe(1);
    t.write32(R.RXCTRL, R.RXCTRL_RXEN); // no handshake
    t.write32(R.TDLEN(0), 100);
    t.write32(R.TXDCTL(0), R.TXDCTL_ENABLE); // bad ring, no TE
    expect(t.read32(R.TXDCTL(0)) & R.TXDCTL_ENABLE).toBe(R.TXDCTL_ENABLE);
    expect(t.control.violations()).toEqual({
      mode: "lenient",
      total: 0,
      stopped: false,
      rules: [],
    });
  } finally {
    t.close();
  }
});

test("fatal: the first violation stops the datapath; each rule is logged once", () => {
  const log: string[] = [];
  const t = inProcessFactory([], { strictness: "fatal", log: (l) => log.push(l) })({
    linkUpDelayMs: 1,
  });
  try {
    initPort(t);
    t.write32(R.FCTRL, R.FCTRL_UPE);
    const rx = setupRx(t, 0, { count: 8 });
    t.inject(rawFrame(60, OTHER_MAC, 1));
    t.run();
    expect(rx.head()).toBe(1);
    t.write32(R.RXCTRL, 0); // outside the SECRXCTRL handshake
    t.write32(R.RXCTRL, R.RXCTRL_RXEN);
    t.inject(rawFrame(60, OTHER_MAC, 2));
    t.run(3);
    expect(rx.head()).toBe(1); // stopped
    const v = t.control.violations();
    expect(v).toMatchObject({ mode: "fatal", total: 2, stopped: true });
    expect(v.rules).toEqual([
      expect.objectContaining({ rule: "rxen-without-secrx-rx-dis", count: 2 }),
    ]);
    expect(log.filter((l) => l.includes("rxen-without-secrx-rx-dis")).length).toBe(2); // + stop
    expect(log[0]).toContain("datasheet 4.6.7");
    expect(log[1]).toContain("port stopped");
  } finally {
    t.close();
  }
});

test("strict is the default and reset timing follows the options", () => {
  const t = inProcessFactory([], { resetTiming: { resetMs: 3, autoReadMs: 5, dmaInitMs: 4 } })({
    linkUpDelayMs: 1,
  });
  try {
    t.write32(R.CTRL, R.CTRL_RST);
    t.advanceMs(2);
    expect(t.read32(R.CTRL) & R.CTRL_RST).toBe(R.CTRL_RST);
    t.advanceMs(1);
    expect(t.read32(R.CTRL) & R.CTRL_RST).toBe(0);
    t.advanceMs(1);
    expect(t.read32(R.RDRXCTL) & R.RDRXCTL_DMAIDONE).toBe(R.RDRXCTL_DMAIDONE);
    expect(t.read32(R.EEC) & R.EEC_ARD).toBe(0);
    resetDevice(t);
    expect(t.control.violations().mode).toBe("strict");
  } finally {
    t.close();
  }
});

test("bad reset timing is refused with a clear error", () => {
  const make = () =>
    new Port({ dma: new WindowDmaSpace(), wire: new QueueWire(), resetTiming: { resetMs: -1 } });
  expect(make).toThrow(IxgbeSimError);
  expect(make).toThrow("resetTiming.resetMs -1: give 0..1000 ms");
});
