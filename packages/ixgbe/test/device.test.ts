// The init sequence, the datapath and teardown against the in-process fake NIC.
import { describe, expect, test } from "bun:test";
import { IxgbeDevice } from "../src/device.ts";
import { IxgbeError } from "../src/errors.ts";
import * as R from "../src/regs/index.ts";
import { FakeNic, fakeBackend } from "./support/fake-nic.ts";

const fast = { resetMs: 50, eepromMs: 50, dmaInitMs: 50, queueMs: 50, linkMs: 200 };

async function openFake(nic: FakeNic, options: Parameters<typeof IxgbeDevice.fromBackend>[1] = {}) {
  const blocks = { open: 0 };
  const dev = await IxgbeDevice.fromBackend(fakeBackend(nic, { blocks }), {
    rxRingSize: 64,
    txRingSize: 64,
    timeouts: fast,
    ...options,
  });
  return { dev, blocks };
}

describe("init sequence", () => {
  test("follows the datasheet order and leaves the device running", async () => {
    const nic = new FakeNic();
    const { dev } = await openFake(nic);
    const order = nic.writes.map(([o]) => o);
    const first = (o: number) => order.indexOf(o);
    // EIMC before the reset, reset before link setup, TE before any TXDCTL enable.
    expect(first(R.EIMC)).toBeLessThan(first(R.CTRL));
    expect(nic.resets).toBe(1);
    expect(first(R.CTRL)).toBeLessThan(first(R.AUTOC));
    expect(first(R.DMATXCTL)).toBeLessThan(order.lastIndexOf(R.TXDCTL(0)));
    // RXEN last-but-promisc: after the RX queue was enabled.
    expect(order.lastIndexOf(R.RXCTRL)).toBeGreaterThan(order.lastIndexOf(R.RXDCTL(0)));
    expect(nic.peek(R.RXCTRL) & R.RXCTRL_RXEN).toBe(1);
    expect(nic.peek(R.DMATXCTL) & R.DMATXCTL_TE).toBe(1);
    expect(nic.peek(R.AUTOC) & R.AUTOC_LMS_MASK).toBe(R.AUTOC_LMS_10G_SERIAL);
    expect(nic.peek(R.HLREG0) & 0x403).toBe(0x403);
    expect(nic.peek(R.RDRXCTL) & R.RDRXCTL_CRCSTRIP).toBe(R.RDRXCTL_CRCSTRIP);
    expect(nic.peek(R.FCTRL) & 0x700).toBe(0x700);
    expect(nic.peek(R.CTRL_EXT) & R.CTRL_EXT_NS_DIS).toBe(R.CTRL_EXT_NS_DIS);
    expect(nic.peek(R.DCA_RXCTRL(0)) & R.DCA_RXCTRL_BIT12).toBe(0);
    const srrctl = nic.peek(R.SRRCTL(0));
    expect(srrctl & R.SRRCTL_DESCTYPE_MASK).toBe(R.SRRCTL_DESCTYPE_ADV_ONEBUF);
    expect(srrctl & R.SRRCTL_DROP_EN).toBe(R.SRRCTL_DROP_EN);
    expect(srrctl & R.SRRCTL_BSIZEPACKET_MASK).toBe(2);
    expect(nic.peek(R.RDLEN(0))).toBe(64 * 16);
    expect(nic.peek(R.RDBAH(0))).toBeGreaterThan(0); // fake DMA lives above 4 GiB
    expect(nic.peek(R.RDT(0))).toBe(63);
    expect(nic.peek(R.TXDCTL(0)) & 0x7f7f7f).toBe(0x040824);
    expect(nic.peek(R.MRQC)).toBe(0); // one queue: no RSS
    expect(dev.link()).toMatchObject({ up: true, speedMbps: 10_000 });
    expect(dev.macAddress()).toBe("02:00:00:00:00:01");
    dev.close();
  });

  test("a configured MAC is written valid; promiscuous can be turned off", async () => {
    const nic = new FakeNic();
    const { dev } = await openFake(nic, { macAddress: "02:11:22:33:44:55", promiscuous: false });
    expect(nic.peek(R.RAL(0))).toBe(0x33221102);
    expect(nic.peek(R.RAH(0))).toBe((0x5544 | R.RAH_AV) >>> 0);
    expect(nic.peek(R.FCTRL) & 0x700).toBe(R.FCTRL_BAM);
    dev.setPromiscuous(true);
    expect(nic.peek(R.FCTRL) & 0x700).toBe(0x700);
    dev.close();
  });

  test("RSS with four queues: MRQC, PCSD, round-robin RETA, key registers", async () => {
    const nic = new FakeNic();
    const { dev } = await openFake(nic, { rxQueues: 4, txQueues: 2 });
    expect(nic.peek(R.MRQC)).toBe(0x00f30001);
    expect(nic.peek(R.RXCSUM) & R.RXCSUM_PCSD).toBe(R.RXCSUM_PCSD);
    for (let n = 0; n < 32; n++) expect(nic.peek(R.RETA(n))).toBe(0x03020100);
    expect(nic.peek(R.RSSRK(0))).toBe(0xda565a6d);
    expect(nic.peek(R.RSSRK(9))).toBe(0xfa01acbe);
    expect(nic.peek(R.RQSMR(0))).toBe(0x03020100);
    for (let q = 0; q < 4; q++) expect(nic.peek(R.RXDCTL(q)) & R.RXDCTL_ENABLE).not.toBe(0);
    expect(dev.rss?.table.slice(0, 5)).toEqual([0, 1, 2, 3, 0]);
    dev.close();
  });
});

describe("timeouts become errors, never hangs", () => {
  const cases: [string, object, string][] = [
    ["reset bits never clear", { resetStuck: true }, "INIT_TIMEOUT"],
    ["EEPROM auto-read never done", { noEeprom: true }, "INIT_TIMEOUT"],
    ["DMA init never done", { noDmaInit: true }, "INIT_TIMEOUT"],
    ["RX queue never enables", { rxQueueStuck: true }, "QUEUE_TIMEOUT"],
    ["TX queue never enables", { txQueueStuck: true }, "QUEUE_TIMEOUT"],
    ["link never comes up", { noLink: true }, "LINK_TIMEOUT"],
  ];
  for (const [name, faults, code] of cases) {
    test(name, async () => {
      const nic = new FakeNic({ faults });
      const blocks = { open: 0 };
      const started = performance.now();
      const err = await IxgbeDevice.fromBackend(fakeBackend(nic, { blocks }), {
        rxRingSize: 64,
        txRingSize: 64,
        timeouts: fast,
      }).catch((e) => e);
      expect(err).toBeInstanceOf(IxgbeError);
      expect(err.code).toBe(code);
      expect(performance.now() - started).toBeLessThan(1500);
      // Everything was released on the failure path.
      expect(blocks.open).toBe(0);
      expect(nic.mappedBlocks).toBe(0);
      expect(nic.closed).toBe(true);
    });
  }

  test("LINK_TIMEOUT says what LINKS read and how to change the timeout", async () => {
    const nic = new FakeNic({ faults: { noLink: true } });
    const err = await openFake(nic).catch((e) => e);
    expect(err.message).toContain("LINKS = 0x00000000");
    expect(err.message).toContain("timeouts.linkMs");
    expect(err.message).toContain("waitForLink: false");
  });

  test("waitForLink: false opens without a link", async () => {
    const nic = new FakeNic({ faults: { noLink: true } });
    const { dev } = await openFake(nic, { waitForLink: false });
    expect(dev.link().up).toBe(false);
    dev.close();
  });

  test("a slow link is waited for", async () => {
    const nic = new FakeNic({ linkDelayMs: 60 });
    const { dev } = await openFake(nic);
    expect(dev.link().up).toBe(true);
    dev.close();
  });

  test("an unsupported device id is refused with the id found and the supported list", async () => {
    const nic = new FakeNic({ deviceId: 0x10c6 });
    const err = await openFake(nic).catch((e) => e);
    expect(err.code).toBe("UNSUPPORTED_DEVICE");
    expect(err.message).toContain("[8086:10c6]");
    expect(err.message).toContain("10fb");
    expect(nic.resets).toBe(0);
  });

  test("bad options are refused before anything is allocated", async () => {
    for (const bad of [
      { rxRingSize: 100 },
      { rxRingSize: 8192 },
      { rxQueues: 17 },
      { txQueues: 0 },
    ]) {
      const nic = new FakeNic();
      const err = await openFake(nic, bad).catch((e) => e);
      expect(err.code).toBe("BAD_CONFIG");
      expect(nic.writes.length).toBe(0);
    }
  });
});

describe("datapath", () => {
  test("frames injected by the device arrive with their data; sent frames carry theirs", async () => {
    const nic = new FakeNic();
    const { dev } = await openFake(nic);
    const frame = Uint8Array.from({ length: 60 }, (_, i) => i + 1);
    nic.inject(0, frame);
    nic.inject(0, frame.subarray(0, 42));
    nic.step(1);
    const bufs = new Uint32Array(32);
    expect(dev.rxBatch(0, bufs, 32)).toBe(2);
    const pool = dev.rxPool(0);
    expect(pool.len[bufs[0] as number]).toBe(60);
    expect(pool.len[bufs[1] as number]).toBe(42);
    const off = pool.dataOffset[bufs[0] as number] as number;
    expect(Array.from(pool.u8.subarray(off, off + 60))).toEqual(Array.from(frame));
    // Tail trails the read position by one.
    expect(nic.peek(R.RDT(0))).toBe(1);
    expect(dev.rxBatch(0, bufs, 32)).toBe(0);

    // Forward the two buffers out of TX queue 0 (TX frees them into the RX pool).
    dev.useTxPool(0, pool);
    nic.captureTx = true;
    expect(dev.txBatch(0, bufs, 2)).toBe(2);
    nic.step(1);
    expect(nic.sent.map((f) => f.bytes.length)).toEqual([60, 42]);
    expect(Array.from(nic.sent[0]?.bytes ?? [])).toEqual(Array.from(frame));
    const stats = dev.readStats();
    expect(stats.rxQueues[0]).toMatchObject({ swPackets: 2, swBytes: 102 });
    expect(stats.txQueues[0]).toMatchObject({ swPackets: 2, swBytes: 102 });
    dev.close();
  });

  test("TX buffers come back to the pool in batches of 32 and a full ring returns a short count", async () => {
    const nic = new FakeNic();
    const { dev } = await openFake(nic);
    const pool = dev.txPool(0);
    const bufs = new Uint32Array(256);
    const start = pool.available;
    expect(pool.allocBatch(bufs, 100)).toBe(100);
    for (let i = 0; i < 100; i++) pool.len[bufs[i] as number] = 64;
    // 64-entry ring keeps one slot free: 63 fit.
    expect(dev.txBatch(0, bufs, 100)).toBe(63);
    expect(dev.txQueue(0).counters[2]).toBe(1);
    nic.step(1);
    // Cleaning runs inside txBatch: 32-descriptor groups whose last descriptor has DD.
    expect(dev.txBatch(0, bufs.subarray(63), 0)).toBe(0);
    expect(pool.available).toBe(start - 100 + 32);
    dev.close();
  });

  test("RX stops short (frames stay queued) when the pool runs dry", async () => {
    const nic = new FakeNic();
    const { dev } = await openFake(nic);
    const pool = dev.rxPool(0);
    const hold = new Uint32Array(pool.available);
    pool.allocBatch(hold, hold.length);
    nic.step(1, 60);
    const bufs = new Uint32Array(32);
    expect(dev.rxBatch(0, bufs, 32)).toBe(0);
    expect(dev.rxQueue(0).counters[3]).toBe(1);
    pool.freeBatch(hold, 5);
    expect(dev.rxBatch(0, bufs, 32)).toBe(5);
    dev.close();
  });

  test("multi-descriptor frames are dropped whole, later frames still arrive", async () => {
    const nic = new FakeNic();
    const { dev } = await openFake(nic);
    nic.step(1, 60); // fills 63 descriptors with DD|EOP
    // Turn descriptors 0 and 1 into a two-part frame: 0 without EOP.
    const q = dev.rxQueue(0);
    const words = (q as unknown as { ring: Uint32Array }).ring;
    words[2] = R.RXDADV_STAT_DD;
    const bufs = new Uint32Array(64);
    expect(dev.rxBatch(0, bufs, 64)).toBe(61);
    expect(q.counters[2]).toBe(2);
    dev.close();
  });

  test("works when every register access is trapped (no mapped doorbell)", async () => {
    const nic = new FakeNic({ trapped: true });
    const { dev } = await openFake(nic);
    nic.step(1, 60);
    const bufs = new Uint32Array(8);
    expect(dev.rxBatch(0, bufs, 8)).toBe(8);
    expect(nic.writes.at(-1)).toEqual([R.RDT(0), 7]);
    dev.close();
  });
});

describe("close", () => {
  test("stops queues, resets, frees everything; idempotent; later use throws CLOSED", async () => {
    const nic = new FakeNic();
    const { dev, blocks } = await openFake(nic, { rxQueues: 2, txQueues: 2 });
    expect(blocks.open).toBe(5); // rings + 2 RX pools + 2 TX pools
    const resetsBefore = nic.resets;
    dev.close();
    dev.close();
    expect(nic.resets).toBe(resetsBefore + 1);
    expect(blocks.open).toBe(0);
    expect(nic.closed).toBe(true);
    const rxdctlWrites = nic.writes.filter(
      ([o, v]) => o === R.RXDCTL(1) && (v & R.RXDCTL_ENABLE) === 0,
    );
    expect(rxdctlWrites.length).toBeGreaterThan(0);
    expect(() => dev.macAddress()).toThrow(expect.objectContaining({ code: "CLOSED" }));
    expect(dev.isClosed).toBe(true);
  });

  test("using releases on scope exit", async () => {
    const nic = new FakeNic();
    const blocks = { open: 0 };
    {
      using dev = await IxgbeDevice.fromBackend(fakeBackend(nic, { blocks }), {
        rxRingSize: 64,
        txRingSize: 64,
        timeouts: fast,
      });
      expect(dev.rxQueues).toBe(1);
    }
    expect(blocks.open).toBe(0);
  });
});
