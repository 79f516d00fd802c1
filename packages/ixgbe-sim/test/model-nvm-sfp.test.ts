/*
 * What a driver's probe reads before it touches a queue: the NVM through EERD (checksum, PBA,
 * firmware patch version, SFP+ init list) and the SFP+ module's serial ID through the
 * bit-banged I2C pins in I2CCTL, driven here bit by bit as a host's I2C master does.
 */
import { describe, expect, test } from "bun:test";
import * as R from "@dataplane/ixgbe/regs";
import { WindowDmaSpace } from "../src/dma/window-dma.ts";
import { checksummedSum, EEPROM_SUM } from "../src/model/eeprom.ts";
import { Port } from "../src/model/port.ts";
import {
  ESDP,
  ESDP_SDP2,
  I2C_CLK_IN,
  I2C_CLK_OUT,
  I2C_DATA_IN,
  I2C_DATA_OUT,
  I2CCTL,
} from "../src/model/sfp-module.ts";
import { QueueWire } from "./conformance/queue-wire.ts";

const makePort = (lanId = 0) =>
  new Port({ dma: new WindowDmaSpace(), wire: new QueueWire(), lanId });

function eerd(port: Port, addr: number): number {
  port.mmioWrite(R.EERD, (addr << R.EERD_ADDR_SHIFT) | R.EERD_START);
  const v = port.mmioRead(R.EERD);
  expect(v & R.EERD_DONE).toBe(R.EERD_DONE);
  return v >>> R.EERD_DATA_SHIFT;
}

describe("NVM through EERD", () => {
  test("words 0x00..0x3F and the pointed sections sum to 0xBABA", () => {
    const port = makePort();
    const size = 1 << (((port.mmioRead(R.EEC) >>> R.EEC_EE_SIZE_SHIFT) & 0xf) + 6);
    const words = new Uint16Array(size);
    for (let i = 0; i < size; i++) words[i] = eerd(port, i);
    let sum = 0;
    for (let i = 0; i <= 0x3f; i++) sum += words[i] as number;
    for (let p = 0x03; p < 0x0f; p++) {
      const at = words[p] as number;
      if (at === 0 || at === 0xffff) continue;
      for (let j = at + 1; j <= at + (words[at] as number); j++) sum += words[j] as number;
    }
    expect(sum & 0xffff).toBe(EEPROM_SUM);
    expect((checksummedSum(words) + (words[0x3f] as number)) & 0xffff).toBe(EEPROM_SUM);
  });

  test("a changed word breaks the checksum", () => {
    const port = makePort();
    port.eeprom[0x20] = (port.eeprom[0x20] as number) + 1;
    expect((checksummedSum(port.eeprom) + (port.eeprom[0x3f] as number)) & 0xffff).not.toBe(
      EEPROM_SUM,
    );
  });

  test("PBA, firmware patch version and the SFP+ init list", () => {
    const port = makePort();
    expect(eerd(port, 0x15)).not.toBe(0xfafa); // legacy PBA form, no guard word
    const fw = eerd(port, 0x0f);
    const patchConfig = eerd(port, fw + 4);
    expect(eerd(port, patchConfig + 7)).toBeGreaterThan(5);
    let at = eerd(port, 0x2b) + 1;
    const types: number[] = [];
    while (eerd(port, at) !== 0xffff) {
      types.push(eerd(port, at));
      const data = eerd(port, at + 1);
      expect(data).not.toBe(0);
      expect(eerd(port, data + 1)).toBe(0xffff); // empty CORECTL sequence
      at += 2;
    }
    expect(types).toEqual([5, 6]);
  });
});

/** An I2C master on I2CCTL: one register write per line change, reads of the IN bits. */
class Master {
  private v = I2C_CLK_OUT | I2C_DATA_OUT;
  constructor(private readonly port: Port) {}
  private put(): void {
    this.port.mmioWrite(I2CCTL, this.v);
  }
  scl(high: boolean): void {
    this.v = high ? this.v | I2C_CLK_OUT : this.v & ~I2C_CLK_OUT;
    this.put();
  }
  sda(high: boolean): void {
    this.v = high ? this.v | I2C_DATA_OUT : this.v & ~I2C_DATA_OUT;
    this.put();
  }
  line(): boolean {
    return (this.port.mmioRead(I2CCTL) & I2C_DATA_IN) !== 0;
  }
  start(): void {
    this.sda(true);
    this.scl(true);
    this.sda(false);
    this.scl(false);
  }
  stop(): void {
    this.sda(false);
    this.scl(true);
    this.sda(true);
  }
  /** Sends a byte; returns true when the slave acknowledged it. */
  send(byte: number): boolean {
    for (let i = 7; i >= 0; i--) {
      this.sda(((byte >>> i) & 1) === 1);
      this.scl(true);
      this.scl(false);
    }
    this.sda(true); // release SDA for the ACK
    this.scl(true);
    const ack = !this.line();
    this.scl(false);
    return ack;
  }
  receive(ack: boolean): number {
    let byte = 0;
    for (let i = 7; i >= 0; i--) {
      this.scl(true);
      byte |= (this.line() ? 1 : 0) << i;
      this.scl(false);
    }
    this.sda(!ack);
    this.scl(true);
    this.scl(false);
    this.sda(true);
    return byte;
  }
  /** Random read of `count` bytes at `offset` from the device at 2-wire address `dev`. */
  read(dev: number, offset: number, count: number): number[] | null {
    this.start();
    if (!this.send(dev) || !this.send(offset)) {
      this.stop();
      return null;
    }
    this.start(); // repeated START
    if (!this.send(dev | 1)) {
      this.stop();
      return null;
    }
    const out: number[] = [];
    for (let i = 0; i < count; i++) out.push(this.receive(i < count - 1));
    this.stop();
    return out;
  }
}

describe("SFP+ module on I2CCTL", () => {
  test("CLK_IN follows CLK_OUT; both lines read high after reset", () => {
    const port = makePort();
    expect(port.mmioRead(I2CCTL)).toBe(I2C_CLK_IN | I2C_CLK_OUT | I2C_DATA_IN | I2C_DATA_OUT);
    port.mmioWrite(I2CCTL, I2C_DATA_OUT);
    expect(port.mmioRead(I2CCTL) & (I2C_CLK_IN | I2C_DATA_IN)).toBe(I2C_DATA_IN);
  });

  test("byte 0 of the serial ID at A0h reads 0x03 (SFP/SFP+)", () => {
    const m = new Master(makePort());
    expect(m.read(0xa0, 0, 1)).toEqual([0x03]);
  });

  test("10GBASE-SR compliance, vendor OUI and a sequential read", () => {
    const m = new Master(makePort(1));
    expect(m.read(0xa0, 3, 1)).toEqual([0x10]);
    expect(m.read(0xa0, 37, 3)).toEqual([0x00, 0x1b, 0x21]);
    const base = m.read(0xa0, 0, 64) as number[];
    const sum = base.slice(0, 63).reduce((a, b) => a + b, 0);
    expect(base[63]).toBe(sum & 0xff); // CC_BASE
  });

  test("another 2-wire address gets no ACK", () => {
    const m = new Master(makePort());
    expect(m.read(0xa2, 0, 1)).toBeNull();
    expect(m.read(0xa0, 0, 1)).toEqual([0x03]); // the bus still works after the STOP
  });

  test("a device reset mid-transfer releases the bus", () => {
    const port = makePort();
    const m = new Master(port);
    m.start();
    m.send(0xa0);
    port.reset();
    expect(new Master(port).read(0xa0, 0, 1)).toEqual([0x03]);
  });
});

describe("ANLP1 after an autonegotiation restart", () => {
  const ANLP1 = 0x042b0;
  const AN_STATE = 0xf << 16;
  const LMS = 0x7 << 13;
  test("backplane AN modes leave state 0; 10G serial (no AN) stays in it", () => {
    const port = makePort();
    expect(port.mmioRead(ANLP1) & AN_STATE).toBe(0);
    const autoc = port.mmioRead(R.AUTOC);
    expect(autoc & LMS).toBe(0x3 << 13); // 10G serial after the NVM load
    // The 82599 pipeline reset: LMS bit 2 toggled with Restart_AN, then LMS restored.
    port.mmioWrite(R.AUTOC, (autoc ^ (0x4 << 13)) | R.AUTOC_AN_RESTART);
    expect(port.mmioRead(ANLP1) & AN_STATE).not.toBe(0);
    port.mmioWrite(R.AUTOC, autoc | R.AUTOC_AN_RESTART);
    expect(port.mmioRead(ANLP1) & AN_STATE).toBe(0);
    port.mmioWrite(ANLP1, 0xffffffff); // read-only
    expect(port.mmioRead(ANLP1)).toBe(0);
  });
});

describe("ESDP.SDP2: the module in the cage", () => {
  test("reads 1 while SDP2 is an input, the written level when it is an output", () => {
    const port = makePort();
    expect(port.mmioRead(ESDP) & ESDP_SDP2).toBe(ESDP_SDP2);
    port.mmioWrite(ESDP, 0);
    expect(port.mmioRead(ESDP) & ESDP_SDP2).toBe(ESDP_SDP2);
    port.mmioWrite(ESDP, 1 << 10); // SDP2 as output, driven 0
    expect(port.mmioRead(ESDP) & ESDP_SDP2).toBe(0);
  });
});

test("the checksum word stays 0xBABA: words 0x00..0x3E sum to 0", () => {
  expect(eerd(makePort(), 0x3f)).toBe(0xbaba);
});
