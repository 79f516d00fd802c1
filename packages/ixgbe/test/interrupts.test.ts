// MSI-X setup through a recording IRQ back-end and real eventfds.
import { describe, expect, test } from "bun:test";
import { eventfdWrite } from "@dataplane/sys";
import { IxgbeDevice } from "../src/device.ts";
import { eitrValue } from "../src/interrupts.ts";
import * as R from "../src/regs/index.ts";
import { FakeIrq, FakeNic, fakeBackend } from "./support/fake-nic.ts";

const fast = { resetMs: 50, eepromMs: 50, dmaInitMs: 50, queueMs: 50, linkMs: 200 };

describe("interrupt mode", () => {
  test("programs GPIE, IVAR, EITR, EIAC, EIMS and wakes waitForRx through the eventfd", async () => {
    const nic = new FakeNic();
    const irq = new FakeIrq();
    const dev = await IxgbeDevice.fromBackend(fakeBackend(nic, { irq }), {
      rxQueues: 2,
      rxRingSize: 64,
      txRingSize: 64,
      interruptQueues: [1],
      timeouts: fast,
    });
    expect(nic.peek(R.GPIE) >>> 0).toBe(0xc0000010);
    expect((nic.peek(R.IVAR(0)) >>> 16) & 0xff).toBe(0x81); // RX queue 1 -> vector 1, valid
    expect(nic.peek(R.EITR(1))).toBe(0x028);
    expect(nic.peek(R.EIAC) & 0xffff).toBe(0x2);
    expect(nic.peek(R.EIMS)).toBe(0x2);
    expect(irq.fds[0]).toBe(-1);
    const fd = irq.fds[1] as number;
    expect(fd).toBeGreaterThanOrEqual(0);

    const t0 = performance.now();
    expect(dev.waitForRx(1, 30)).toBe(false);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(25);
    eventfdWrite(fd, 1); // a wake-up with no frame behind it: waitForRx waits on
    expect(dev.waitForRx(1, 30)).toBe(false);
    nic.inject(1, new Uint8Array(60));
    nic.step(2);
    eventfdWrite(fd, 1);
    expect(dev.waitForRx(1, 1000)).toBe(true);
    expect(() => dev.waitForRx(0, 10)).toThrow(expect.objectContaining({ code: "BAD_CONFIG" }));
    dev.close();
    expect(irq.disabled).toBe(1);
  });

  test("a back-end without interrupts refuses interrupt queues", async () => {
    const nic = new FakeNic();
    const err = await IxgbeDevice.fromBackend(fakeBackend(nic), {
      rxRingSize: 64,
      txRingSize: 64,
      interruptQueues: [0],
      timeouts: fast,
    }).catch((e) => e);
    expect(err.code).toBe("BAD_CONFIG");
    expect(nic.closed).toBe(true);
  });

  test("EITR encoding", () => {
    expect(eitrValue(2)).toBe(0x008);
    expect(eitrValue(10)).toBe(0x028);
    expect(eitrValue(50)).toBe(0x0c8);
    expect(eitrValue(5000)).toBe(0xff8);
  });
});
