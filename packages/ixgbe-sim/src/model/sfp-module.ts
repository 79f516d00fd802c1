/*
 * The SFP+ module in the port's cage, as its host sees it: the 256-byte serial ID EEPROM at
 * 2-wire address 1010000x (A0h, SFF-8472 §4) reached through the 82599's bit-banged I2C pins.
 *
 * Pins (82599 datasheet §8.2.3.1 general registers, I2CCTL at 0x00028): bit 0 I2C_CLK_IN and
 * bit 2 I2C_DATA_IN read the lines, bit 1 I2C_CLK_OUT and bit 3 I2C_DATA_OUT drive them. Both
 * lines are open drain with pull-ups: a 1 written releases the line, and a line reads low when
 * either the MAC or the module pulls it low. The module never stretches the clock, so CLK_IN
 * follows CLK_OUT.
 *
 * The module is a 2-wire slave (SFF-8472 §4, the AT24C01-style protocol it refers to): START
 * (SDA falls while SCL is high), the device address byte, ACK, the word address, ACK; a repeated
 * START with the read address, then data bytes the master acknowledges, NACK and STOP ends.
 * Data changes only while SCL is low; the slave samples on SCL's rising edge. Writes to the
 * serial ID page are acknowledged and ignored (it is read-only on the modules drivers accept).
 */

/** I2CCTL: the I2C pins (82599 only; the 82598 has no such register). */
export const I2CCTL = 0x00028;
/** I2CCTL bits. */
export const I2C_CLK_IN = 1 << 0;
export const I2C_CLK_OUT = 1 << 1;
export const I2C_DATA_IN = 1 << 2;
export const I2C_DATA_OUT = 1 << 3;
/** I2CCTL with both lines released: the idle bus after reset. */
export const I2CCTL_IDLE = I2C_CLK_IN | I2C_CLK_OUT | I2C_DATA_IN | I2C_DATA_OUT;

/**
 * ESDP (0x00020): software-definable pins, data in bits 7:0, direction in bits 15:8 (1 = output).
 * On 82599 SFP+ boards SDP2 is an input from the cage that reads 1 while a module is seated
 * (Linux ixgbe_check_mac_link_generic: "the SFP+ cage is full" = ESDP.SDP2 on 82599, and it
 * reports the link down without it). A pin configured as input reads the board's level.
 */
export const ESDP = 0x00020;
export const ESDP_SDP2 = 1 << 2;
const ESDP_SDP2_DIR = 1 << 10;

/** ESDP as it reads after `v` is written: an input SDP2 shows the seated module. */
export function esdpRead(v: number): number {
  return ((v & ESDP_SDP2_DIR) === 0 ? v | ESDP_SDP2 : v) >>> 0;
}

/** 2-wire address of the serial ID page (A0h; SFF-8472 §4). */
const DEVICE_ADDRESS = 0xa0;

/**
 * Serial ID bytes of a 10GBASE-SR SFP+ (SFF-8472 table 4-1; SFF-8024 codes): identifier 03h
 * (SFP/SFP+), extended identifier 04h, connector 07h (LC), byte 3 bit 4 = 10GBASE-SR, encoding
 * 06h (64B/66B), nominal rate 103 x 100 MBd, 300 m on OM3 (byte 17, units of 10 m = 30),
 * vendor "Intel Corp", vendor OUI 00-1B-21 (an Intel-branded optic, which the 82599's drivers
 * accept without allow_unsupported_sfp), wavelength 850 nm, and the CC_BASE / CC_EXT check
 * codes (bytes 63 and 95: the low byte of the sum of bytes 0..62 and 64..94).
 */
export function sfpSerialId(): Uint8Array {
  const id = new Uint8Array(256);
  id[0] = 0x03; // identifier: SFP/SFP+
  id[1] = 0x04; // extended identifier: serial ID defined by two-wire interface
  id[2] = 0x07; // connector: LC
  id[3] = 0x10; // 10G Ethernet compliance: 10GBASE-SR
  id[11] = 0x06; // encoding: 64B/66B
  id[12] = 0x67; // nominal signalling rate, 100 MBd units
  id[16] = 0x08; // OM2 (50 um) length, 10 m units: 80 m
  id[17] = 0x1e; // OM3 length, 10 m units: 300 m
  ascii(id, 20, 16, "Intel Corp");
  id[37] = 0x00; // vendor OUI
  id[38] = 0x1b;
  id[39] = 0x21;
  ascii(id, 40, 16, "ixgbe-sim SR"); // vendor part number
  ascii(id, 56, 4, "A"); // revision
  id[60] = 0x03; // wavelength 850 nm (0x0352), big endian
  id[61] = 0x52;
  id[63] = checkCode(id, 0, 63);
  id[65] = 0x1a; // options: TX_DISABLE, TX_FAULT, LOS implemented
  ascii(id, 68, 16, "SIM0000001"); // vendor serial number
  ascii(id, 84, 8, "240101"); // date code YYMMDD
  id[95] = checkCode(id, 64, 95);
  return id;
}

function ascii(buf: Uint8Array, at: number, width: number, text: string): void {
  for (let i = 0; i < width; i++) buf[at + i] = i < text.length ? text.charCodeAt(i) : 0x20;
}

function checkCode(buf: Uint8Array, from: number, to: number): number {
  let sum = 0;
  for (let i = from; i < to; i++) sum += buf[i] as number;
  return sum & 0xff;
}

type Phase = "idle" | "receive" | "ack" | "send" | "masterAck";

/** The module's 2-wire slave: fed the MAC's pin levels on every I2CCTL write. */
export class SfpModule {
  /** Serial ID page (A0h). */
  readonly serialId = sfpSerialId();
  private scl = true;
  private sda = true; // the MAC's SDA output
  private out = true; // the module's SDA output (true = released)
  private phase: Phase = "idle";
  private bits = 0;
  private shift = 0;
  private addressed = false; // the device address byte of this transfer has been taken
  private reading = false;
  private pointerSet = false;
  private pointer = 0;
  private masterAcked = false;

  /**
   * The MAC drives SCL/SDA to these levels (true = released). Returns the I2CCTL value the
   * register then reads: the outputs as written and the line levels on the IN bits.
   */
  drive(i2cctl: number): number {
    const scl = (i2cctl & I2C_CLK_OUT) !== 0;
    const sda = (i2cctl & I2C_DATA_OUT) !== 0;
    if (scl && this.scl && sda !== this.sda) {
      if (!sda) this.start();
      else this.stop();
    } else if (scl && !this.scl) {
      this.rising(sda && this.out);
    } else if (!scl && this.scl) {
      this.falling();
    }
    this.scl = scl;
    this.sda = sda;
    const line = sda && this.out;
    return (
      (i2cctl & (I2C_CLK_OUT | I2C_DATA_OUT)) | (scl ? I2C_CLK_IN : 0) | (line ? I2C_DATA_IN : 0)
    );
  }

  private start(): void {
    this.phase = "receive";
    this.bits = 0;
    this.shift = 0;
    this.addressed = false;
    this.out = true;
  }

  private stop(): void {
    this.phase = "idle";
    this.out = true;
  }

  /** SCL rises: the receiver samples SDA. */
  private rising(line: boolean): void {
    if (this.phase === "receive") {
      this.shift = ((this.shift << 1) | (line ? 1 : 0)) & 0xff;
      this.bits++;
    } else if (this.phase === "masterAck") {
      this.masterAcked = !line;
    }
  }

  /** SCL falls: the transmitter may change SDA for the next bit. */
  private falling(): void {
    switch (this.phase) {
      case "receive":
        if (this.bits === 8) this.byteReceived(this.shift);
        return;
      case "ack":
        this.out = true;
        if (this.reading) {
          this.loadByte();
        } else {
          this.phase = "receive";
          this.bits = 0;
          this.shift = 0;
        }
        return;
      case "send":
        this.bits++;
        if (this.bits === 8) {
          this.out = true; // release SDA for the master's ACK/NACK
          this.phase = "masterAck";
        } else {
          this.out = ((this.shift >>> (7 - this.bits)) & 1) === 1;
        }
        return;
      case "masterAck":
        if (this.masterAcked) this.loadByte();
        else this.phase = "idle"; // NACK: wait for STOP or a repeated START
        return;
      default:
        return;
    }
  }

  private byteReceived(byte: number): void {
    if (!this.addressed) {
      if ((byte & 0xfe) !== DEVICE_ADDRESS) {
        this.phase = "idle"; // another device's address: no ACK
        return;
      }
      this.addressed = true;
      this.reading = (byte & 1) === 1;
      this.pointerSet = false;
    } else if (!this.pointerSet) {
      this.pointer = byte;
      this.pointerSet = true;
    } else {
      this.pointer = (this.pointer + 1) & 0xff; // a write: acknowledged, not stored
    }
    this.out = false; // ACK during the ninth clock
    this.phase = "ack";
  }

  /** Starts sending the byte at the pointer, MSB first, on SDA. */
  private loadByte(): void {
    this.shift = this.serialId[this.pointer] as number;
    this.pointer = (this.pointer + 1) & 0xff;
    this.bits = 0;
    this.phase = "send";
    this.out = (this.shift & 0x80) !== 0;
  }
}
