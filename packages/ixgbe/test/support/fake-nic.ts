/*
 * An in-process stand-in for an 82599, for unit tests and the driver benchmark: BAR0 as a
 * Uint32Array with the register side effects init relies on (self-clearing reset, ARD,
 * DMAIDONE, ENABLE read-back, Restart_AN -> link up, RWS/RC semantics), fault switches, and
 * a datapath step() that completes descriptors instantly. Not a device model: ixgbe-sim is.
 */
import type { Mmio, MmioWord } from "@dataplane/pci";
import type { Backend, DmaBlock, IrqBackend } from "../../src/backend/types.ts";
import * as R from "../../src/regs/index.ts";

/** Things that can go wrong, to test that the driver fails instead of hanging. */
export interface Faults {
  resetStuck?: boolean;
  noEeprom?: boolean;
  noDmaInit?: boolean;
  rxQueueStuck?: boolean;
  txQueueStuck?: boolean;
  noLink?: boolean;
  /** STATUS.PCIE_MASTER_ENABLE_STATUS stays set after master disable (DMA never drains). */
  masterStuck?: boolean;
}

export interface FakeNicOptions {
  mac?: readonly number[];
  vendorId?: number;
  deviceId?: number;
  linkDelayMs?: number;
  /** word() returns null: every access is trapped (like vfio-user without a shared BAR). */
  trapped?: boolean;
  /** BAR0 storage (R.BAR0_SIZE bytes); a view over native memory lets a Worker ring doorbells. */
  regs?: Uint32Array;
  faults?: Faults;
}

const LINKS_10G_UP = 0x79001090;
const RC = new Set<number>([
  R.CRCERRS,
  R.ILLERRC,
  R.ERRBC,
  R.MSPDC,
  R.MLFC,
  R.MRFC,
  R.RLEC,
  R.GPRC,
  R.GPTC,
  R.GORCL,
  R.GORCH,
  R.GOTCL,
  R.GOTCH,
  R.TORL,
  R.TORH,
  R.TPR,
  R.TPT,
  R.BPRC,
  R.MPRC,
  R.MPTC,
  R.BPTC,
  ...Array.from({ length: 8 }, (_, n) => R.MPC(n)),
  ...Array.from({ length: 16 }, (_, s) => [R.QPRC(s), R.QPRDC(s), R.QBRC_L(s), R.QBRC_H(s)]).flat(),
  ...Array.from({ length: 16 }, (_, s) => [R.QPTC(s), R.QBTC_L(s), R.QBTC_H(s)]).flat(),
]);
const RXDCTLS = new Set(Array.from({ length: 128 }, (_, q) => R.RXDCTL(q)));
const TXDCTLS = new Set(Array.from({ length: 128 }, (_, q) => R.TXDCTL(q)));

interface Mapping {
  base: number;
  bytes: number;
  u32: Uint32Array;
  u8: Uint8Array;
}

/** A captured transmitted frame. */
export interface SentFrame {
  queue: number;
  bytes: Uint8Array;
}

export class FakeNic implements Mmio {
  readonly size = R.BAR0_SIZE;
  readonly regs: Uint32Array;
  readonly faults: Faults;
  /** Every write32 (not word stores), in order. */
  readonly writes: [number, number][] = [];
  /** Frames sent, when captureTx is on. */
  readonly sent: SentFrame[] = [];
  captureTx = false;
  resets = 0;
  closed = false;
  private linkUpAt = Number.POSITIVE_INFINITY;
  private readonly maps: Mapping[] = [];
  private readonly rxInbox: Uint8Array[][] = Array.from({ length: 16 }, () => []);

  constructor(readonly options: FakeNicOptions = {}) {
    this.faults = { ...options.faults };
    this.regs = options.regs ?? new Uint32Array(R.BAR0_SIZE / 4);
    this.powerOn();
  }

  private powerOn(): void {
    this.regs.fill(0);
    const mac = this.options.mac ?? [0x02, 0x00, 0x00, 0x00, 0x00, 0x01];
    const w = (o: number, v: number) => {
      this.regs[o >>> 2] = v >>> 0;
    };
    w(
      R.RAL(0),
      (mac[0] ?? 0) | ((mac[1] ?? 0) << 8) | ((mac[2] ?? 0) << 16) | ((mac[3] ?? 0) << 24),
    );
    w(R.RAH(0), (mac[4] ?? 0) | ((mac[5] ?? 0) << 8) | R.RAH_AV);
    if (!this.faults.noEeprom) w(R.EEC, R.EEC_ARD | R.EEC_EE_PRES);
    if (!this.faults.noDmaInit) w(R.RDRXCTL, R.RDRXCTL_DMAIDONE);
    for (let q = 0; q < 16; q++) w(R.SRRCTL(q), 0x402);
    for (let q = 0; q < 64; q++) w(R.DCA_RXCTRL(q), R.DCA_RXCTRL_BIT12);
    for (let q = 0; q < 128; q++) w(R.DCA_TXCTRL(q), R.DCA_TXCTRL_TX_WB_RO_EN);
    w(R.STATUS, R.STATUS_PCIE_MASTER_ENABLE_STATUS);
    w(R.SECRXSTAT, R.SECRXSTAT_SECRX_RDY);
    w(R.HLREG0, R.HLREG0_TXCRCEN | R.HLREG0_RXCRCSTRP | R.HLREG0_TXPADEN);
    this.linkUpAt = Number.POSITIVE_INFINITY;
  }

  /** Sets a counter (tests). */
  setCounter(offset: number, value: number): void {
    this.regs[offset >>> 2] = value >>> 0;
  }

  /** Plain register value without read side effects. */
  peek(offset: number): number {
    return this.regs[offset >>> 2] as number;
  }

  read32(offset: number): number {
    const i = offset >>> 2;
    if (offset === R.LINKS) {
      return !this.faults.noLink && performance.now() >= this.linkUpAt ? LINKS_10G_UP : 0;
    }
    const v = this.regs[i] as number;
    if (RC.has(offset) || offset === R.EICR) this.regs[i] = 0;
    return v;
  }

  write32(offset: number, value: number): void {
    this.writes.push([offset, value >>> 0]);
    const i = offset >>> 2;
    const v = value >>> 0;
    if (offset === R.CTRL) {
      if (v & R.CTRL_RST) {
        this.resets++;
        this.powerOn(); // CTRL itself resets too: master disable is off again
        this.regs[i] = this.faults.resetStuck ? v : 0;
        return;
      }
      this.regs[i] = v;
      const master = this.faults.masterStuck || (v & R.CTRL_PCIE_MASTER_DISABLE) === 0;
      this.regs[R.STATUS >>> 2] = master ? R.STATUS_PCIE_MASTER_ENABLE_STATUS : 0;
    } else if (offset === R.EIMS) this.regs[i] = (this.regs[i] as number) | v;
    else if (offset === R.EIMC) this.regs[R.EIMS >>> 2] = (this.regs[R.EIMS >>> 2] as number) & ~v;
    else if (offset === R.AUTOC) {
      this.regs[i] = v & ~R.AUTOC_AN_RESTART;
      if (v & R.AUTOC_AN_RESTART)
        this.linkUpAt = performance.now() + (this.options.linkDelayMs ?? 0);
    } else if (RXDCTLS.has(offset) && this.faults.rxQueueStuck) this.regs[i] = v & ~R.RXDCTL_ENABLE;
    else if (TXDCTLS.has(offset) && this.faults.txQueueStuck) this.regs[i] = v & ~R.TXDCTL_ENABLE;
    else this.regs[i] = v;
  }

  word(offset: number): MmioWord | null {
    return this.options.trapped ? null : { view: this.regs, index: offset >>> 2 };
  }

  barrier(): void {}

  close(): void {
    this.closed = true;
  }

  /** Registers memory the device can reach at device addresses base..base+bytes. */
  map(base: number, u8: Uint8Array): void {
    const u32 = new Uint32Array(u8.buffer, u8.byteOffset, u8.byteLength >>> 2);
    this.maps.push({ base, bytes: u8.byteLength, u8, u32 });
  }

  unmap(base: number): void {
    const k = this.maps.findIndex((m) => m.base === base);
    if (k >= 0) this.maps.splice(k, 1);
  }

  /** Number of mapped blocks (tests check they all go away). */
  get mappedBlocks(): number {
    return this.maps.length;
  }

  private find(addr: number): Mapping {
    for (const m of this.maps) if (addr >= m.base && addr < m.base + m.bytes) return m;
    throw new Error(`fake NIC: DMA to unmapped address 0x${addr.toString(16)}`);
  }

  /** Queues a frame for RX queue q; delivered by the next step(). */
  inject(q: number, frame: Uint8Array): void {
    this.rxInbox[q]?.push(frame);
  }

  private ring(bal: number, bah: number): { m: Mapping; w: number } {
    const addr = this.peek(bah) * 2 ** 32 + this.peek(bal);
    const m = this.find(addr);
    return { m, w: (addr - m.base) >>> 2 };
  }

  /**
   * Completes work: injected frames into RX descriptors (data written to the buffer), or with
   * `autoRxLen` > 0 every descriptor the driver handed over gets DD|EOP and that length without
   * data; every TX descriptor up to the tail gets DD (RS set). Returns descriptors completed.
   */
  step(queues: number, autoRxLen = 0): number {
    let done = 0;
    const rxOn = (this.peek(R.RXCTRL) & R.RXCTRL_RXEN) !== 0;
    const txOn = (this.peek(R.DMATXCTL) & R.DMATXCTL_TE) !== 0;
    for (let q = 0; q < queues; q++) {
      if (rxOn && this.peek(R.RXDCTL(q)) & R.RXDCTL_ENABLE) done += this.stepRx(q, autoRxLen);
      if (txOn && this.peek(R.TXDCTL(q)) & R.TXDCTL_ENABLE) done += this.stepTx(q);
    }
    return done;
  }

  private stepRx(q: number, autoRxLen: number): number {
    const n = this.peek(R.RDLEN(q)) >>> 4;
    const regs = this.regs;
    const tail = Atomics.load(regs, R.RDT(q) >>> 2);
    let head = this.peek(R.RDH(q));
    const { m, w } = this.ring(R.RDBAL(q), R.RDBAH(q));
    const ring = m.u32;
    const inbox = this.rxInbox[q] as Uint8Array[];
    let done = 0;
    while (head !== tail && (autoRxLen > 0 || inbox.length > 0)) {
      const d = w + (head << 2);
      let len = autoRxLen;
      if (autoRxLen === 0) {
        const frame = inbox.shift() as Uint8Array;
        const addr = (ring[d + 1] as number) * 2 ** 32 + (ring[d] as number);
        const b = this.find(addr);
        b.u8.set(frame, addr - b.base);
        len = frame.length;
      }
      ring[d] = 0;
      ring[d + 1] = 0;
      ring[d + 3] = len;
      Atomics.store(ring, d + 2, R.RXDADV_STAT_DD | R.RXDADV_STAT_EOP);
      head = head + 1 === n ? 0 : head + 1;
      done++;
    }
    regs[R.RDH(q) >>> 2] = head;
    return done;
  }

  private stepTx(q: number): number {
    const n = this.peek(R.TDLEN(q)) >>> 4;
    const tail = Atomics.load(this.regs, R.TDT(q) >>> 2);
    let head = this.peek(R.TDH(q));
    const { m, w } = this.ring(R.TDBAL(q), R.TDBAH(q));
    const ring = m.u32;
    let done = 0;
    while (head !== tail) {
      const d = w + (head << 2);
      const cmd = ring[d + 2] as number;
      if (this.captureTx) {
        const addr = (ring[d + 1] as number) * 2 ** 32 + (ring[d] as number);
        const b = this.find(addr);
        const off = addr - b.base;
        this.sent.push({ queue: q, bytes: b.u8.slice(off, off + (cmd & 0xffff)) });
      }
      if (cmd & R.ADVTXD_DCMD_RS) Atomics.store(ring, d + 3, R.ADVTXD_STAT_DD);
      head = head + 1 === n ? 0 : head + 1;
      done++;
    }
    this.regs[R.TDH(q) >>> 2] = head;
    return done;
  }
}

/** A fake MSI-X back-end: records the eventfds it is given. */
export class FakeIrq implements IrqBackend {
  fds: number[] = [];
  disabled = 0;
  irqInfo(_index: number) {
    return { flags: 1, count: 64 };
  }
  setIrqEventfds(_index: number, _start: number, fds: readonly number[]): void {
    this.fds = [...fds];
  }
  disableIrqs(_index: number): void {
    this.disabled++;
    this.fds = [];
  }
}

/**
 * A back-end over a FakeNic and ordinary memory. Device addresses start above 4 GiB so the
 * high halves (RDBAH/TDBAH, dmaHi) are exercised.
 */
export function fakeBackend(
  nic: FakeNic,
  opts: {
    irq?: IrqBackend;
    blocks?: { open: number };
    /** Where DMA blocks come from (default: ordinary ArrayBuffers); e.g. native memory. */
    memory?: (bytes: number, deviceAddress: number) => Uint8Array;
    /** Device address of the first block (default 4 GiB); distinct per NIC sharing buffers. */
    dmaBase?: number;
  } = {},
): Backend {
  let nextBase = opts.dmaBase ?? 0x1_0000_0000;
  const blocks = opts.blocks ?? { open: 0 };
  let closed = false;
  return {
    kind: "memory",
    name: "fake0",
    vendorId: nic.options.vendorId ?? 0x8086,
    deviceId: nic.options.deviceId ?? 0x10fb,
    bar0: nic,
    allocDma(bytes: number): DmaBlock {
      const size = Math.ceil(bytes / (2 << 20)) * (2 << 20);
      const base = nextBase;
      nextBase += size + (2 << 20);
      const u8 = opts.memory?.(size, base) ?? new Uint8Array(size);
      const u32 = new Uint32Array(u8.buffer);
      nic.map(base, u8);
      blocks.open++;
      let open = true;
      return {
        address: base,
        bytes: size,
        pageSize: 2 << 20,
        u8,
        u32,
        physicalAddress: (o) => base + o,
        dma: { kind: "iova", base },
        deviceAddress: (o) => base + o,
        close() {
          if (!open) return;
          open = false;
          blocks.open--;
          nic.unmap(base);
        },
      };
    },
    mapForeign: (m) => m.address,
    irq: opts.irq ?? null,
    close() {
      if (closed) return;
      closed = true;
      nic.close();
    },
  };
}
