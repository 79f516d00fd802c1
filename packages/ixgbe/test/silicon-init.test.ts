/*
 * What a real 82599 needs beyond what the model would notice, checked in the order of the
 * writes against the in-process fake NIC: master disable before reset (and the double reset
 * when DMA does not drain), the SECRX handshake around RXEN, the bits software must set, the
 * packet buffer layout, relaxed ordering off, and queues polled back to 0 before the reset
 * at close and at recover.
 */
import { describe, expect, test } from "bun:test";
import { IxgbeDevice } from "../src/device.ts";
import type { IxgbeError } from "../src/errors.ts";
import * as R from "../src/regs/index.ts";
import { TXPBTHRESH_0 } from "../src/tx-init.ts";
import { FakeNic, fakeBackend } from "./support/fake-nic.ts";

const fast = { resetMs: 50, eepromMs: 50, dmaInitMs: 50, queueMs: 50, linkMs: 200 };

async function open(nic: FakeNic, rxQueues = 2) {
  return IxgbeDevice.fromBackend(fakeBackend(nic), {
    rxQueues,
    txQueues: rxQueues,
    rxRingSize: 64,
    txRingSize: 64,
    timeouts: fast,
  });
}

/** Indexes of the writes to `offset` whose value matches `pred`. */
function writesTo(nic: FakeNic, offset: number, pred: (v: number) => boolean = () => true) {
  const out: number[] = [];
  nic.writes.forEach(([o, v], i) => {
    if (o === offset && pred(v)) out.push(i);
  });
  return out;
}

const has = (bit: number) => (v: number) => (v & bit) !== 0;

describe("reset like the datasheet", () => {
  test("master disable, then one reset once STATUS shows DMA drained", async () => {
    const nic = new FakeNic();
    const dev = await open(nic);
    const disable = writesTo(nic, R.CTRL, has(R.CTRL_PCIE_MASTER_DISABLE));
    const reset = writesTo(nic, R.CTRL, has(R.CTRL_RST));
    expect(nic.resets).toBe(1);
    expect(disable[0]).toBeLessThan(reset[0] as number);
    dev.close();
  });

  test("a master that does not drain gets the datasheet's two resets, and init goes on", async () => {
    const nic = new FakeNic({ faults: { masterStuck: true } });
    const dev = await open(nic);
    expect(nic.resets).toBe(2);
    expect(dev.link().up).toBe(true);
    dev.close();
  });
});

describe("receive enable per the errata", () => {
  test("SECRXCTRL.RX_DIS is set before RXEN and cleared after", async () => {
    const nic = new FakeNic();
    const dev = await open(nic);
    const rxen = writesTo(nic, R.RXCTRL, has(R.RXCTRL_RXEN));
    expect(rxen).toHaveLength(1);
    const at = rxen[0] as number;
    const halt = writesTo(nic, R.SECRXCTRL, has(R.SECRXCTRL_RX_DIS));
    const release = writesTo(nic, R.SECRXCTRL, (v) => (v & R.SECRXCTRL_RX_DIS) === 0);
    expect(halt.filter((i) => i < at)).toHaveLength(1);
    expect(release.filter((i) => i > at)).toHaveLength(1);
    expect(nic.peek(R.SECRXCTRL) & R.SECRXCTRL_RX_DIS).toBe(0);
    dev.close();
  });
});

describe("bits software must set", () => {
  test("RDRXCTL, packet buffers, relaxed ordering", async () => {
    const nic = new FakeNic();
    const dev = await open(nic);
    const rdrxctl = nic.peek(R.RDRXCTL);
    expect(rdrxctl & R.RDRXCTL_RSCACKC).toBe(R.RDRXCTL_RSCACKC);
    expect(rdrxctl & R.RDRXCTL_FCOE_WRFIX).toBe(R.RDRXCTL_FCOE_WRFIX);
    expect(rdrxctl & R.RDRXCTL_RSCFRSTSIZE_MASK).toBe(0);
    expect(rdrxctl & R.RDRXCTL_CRCSTRIP).toBe(R.RDRXCTL_CRCSTRIP);
    // One RX and one TX buffer with everything, a threshold one largest frame below the size.
    expect(nic.peek(R.RXPBSIZE(0))).toBe(R.RXPBSIZE_512KB);
    expect(nic.peek(R.TXPBSIZE(0))).toBe(R.TXPBSIZE_160KB);
    expect(TXPBTHRESH_0).toBe(150);
    expect(nic.peek(R.TXPBTHRESH(0))).toBe(TXPBTHRESH_0);
    expect(TXPBTHRESH_0 + R.TX_PACKET_SIZE_MAX_KB).toBe(nic.peek(R.TXPBSIZE(0)) >>> 10);
    for (let n = 1; n < 8; n++) {
      expect([nic.peek(R.RXPBSIZE(n)), nic.peek(R.TXPBSIZE(n)), nic.peek(R.TXPBTHRESH(n))]).toEqual(
        [0, 0, 0],
      );
    }
    // The buffers were sized with the TX arbiter off, and it is on again afterwards.
    const arbOff = writesTo(nic, R.RTTDCS, has(R.RTTDCS_ARBDIS))[0] as number;
    const arbOn = writesTo(nic, R.RTTDCS, (v) => (v & R.RTTDCS_ARBDIS) === 0)[0] as number;
    const sized = writesTo(nic, R.TXPBSIZE(0))[0] as number;
    expect(arbOff).toBeLessThan(sized);
    expect(arbOn).toBeGreaterThan(sized);
    for (let q = 0; q < 2; q++) {
      expect(nic.peek(R.DCA_RXCTRL(q)) & (R.DCA_RXCTRL_BIT12 | R.DCA_RXCTRL_WRITE_RO_MASK)).toBe(0);
      expect(nic.peek(R.DCA_TXCTRL(q)) & R.DCA_TXCTRL_TX_WB_RO_EN).toBe(0);
    }
    dev.close();
  });
});

describe("stopping", () => {
  for (const how of ["close", "recover"] as const) {
    test(`${how}: every queue reads disabled, then master disable, then the reset`, async () => {
      const nic = new FakeNic();
      const dev = await open(nic);
      const from = nic.writes.length;
      if (how === "close") dev.close();
      else await dev.recover();
      const after = (i: number) => i >= from;
      const reset = writesTo(nic, R.CTRL, has(R.CTRL_RST)).filter(after)[0] as number;
      const master = writesTo(nic, R.CTRL, has(R.CTRL_PCIE_MASTER_DISABLE)).filter(after)[0];
      expect(master).toBeLessThan(reset);
      for (let q = 0; q < 2; q++) {
        const rxOff = writesTo(nic, R.RXDCTL(q), (v) => (v & R.RXDCTL_ENABLE) === 0).filter(after);
        const txOff = writesTo(nic, R.TXDCTL(q), (v) => (v & R.TXDCTL_ENABLE) === 0).filter(after);
        expect(rxOff[0]).toBeLessThan(master as number);
        expect(txOff[0]).toBeLessThan(master as number);
      }
      if (how === "recover") dev.close();
    });
  }

  test("close on a queue that never reads disabled: bounded, releases all, says DMA may go on", async () => {
    const nic = new FakeNic();
    const dev = await open(nic, 1);
    // From now on RXDCTL keeps ENABLE whatever is written: a wedged queue.
    const write = nic.write32.bind(nic);
    nic.write32 = (o, v) => write(o, o === R.RXDCTL(0) ? v | R.RXDCTL_ENABLE : v);
    const err = (() => {
      try {
        dev.close();
      } catch (e) {
        return e as IxgbeError;
      }
      return null;
    })();
    expect(err?.code).toBe("DEVICE_FAULT");
    expect(err?.message).toContain("may still be doing DMA");
    expect(dev.isClosed).toBe(true);
    expect(nic.resets).toBe(2); // init's reset, and close's reset after the bounded wait
    expect(nic.mappedBlocks).toBe(0); // everything released anyway
  });
});

describe("link per device id", () => {
  for (const e of R.SUPPORTED_DEVICE_IDS) {
    test(`${e.name} (${e.id.toString(16)}) is accepted and links up at 10G serial`, async () => {
      const nic = new FakeNic({ deviceId: e.id });
      const dev = await open(nic, 1);
      expect(nic.peek(R.AUTOC) & R.AUTOC_LMS_MASK).toBe(R.AUTOC_LMS_10G_SERIAL);
      expect(dev.link()).toMatchObject({ up: true, speedMbps: 10_000 });
      dev.close();
    });
  }
  for (const e of R.REFUSED_DEVICE_IDS) {
    test(`${e.name} (${e.id.toString(16)}) is refused by name before any register write`, async () => {
      const nic = new FakeNic({ deviceId: e.id });
      const err = await open(nic, 1).catch((x) => x);
      expect(err.code).toBe("UNSUPPORTED_DEVICE");
      expect(err.message).toContain(`[8086:${e.id.toString(16).padStart(4, "0")}]`);
      expect(err.message).toContain(e.name);
      expect(err.message).toContain("SFP+");
      expect(nic.writes).toHaveLength(0);
    });
  }
});
