/*
 * Interrupt causes, masks and delivery (82599 datasheet §7.3, fact sheet §8).
 * Vector causes 0..63 are kept as two 32-bit halves; EICR bits 15:0 show vectors 0..15 and
 * bits 30:16 the "other" causes (LSC, RX miss, PCI exception, ...). In MSI-X mode a queue
 * event sets the cause of the vector its IVAR entry names and fires that vector; other causes
 * fire the IVAR_MISC vector. In MSI/INTx mode there is one interrupt (vector 0) and the IVAR
 * vector only selects which EICR bit is set. EITR(v) sets a minimum gap between firings.
 */
import * as R from "@dataplane/ixgbe/regs";

const W_GPIE = R.GPIE >>> 2;
const W_EIAC = R.EIAC >>> 2;
const W_EIAM = R.EIAM >>> 2;
const W_EIAM_EX0 = R.EIAM_EX(0) >>> 2;
const W_IVAR0 = R.IVAR(0) >>> 2;
const W_IVAR_MISC = R.IVAR_MISC >>> 2;
const W_EICR = R.EICR >>> 2;
const W_EIMS = R.EIMS >>> 2;
const OTHER_MASK = 0x7fff0000;
const QUEUE_MASK = 0xffff;

/** EITR word index of vector v (the register file splits at 24). */
const eitrWord = (v: number): number => R.EITR(v) >>> 2;

/** Interrupt state of one port; `publish` mirrors EICR/EIMS into BAR0 for mapped clients. */
export class InterruptUnit {
  causeLo = 0;
  causeHi = 0;
  other = 0;
  maskLo = 0;
  maskHi = 0;
  otherMask = 0;
  /** Vectors with an event waiting for delivery (masked-in, maybe throttled). */
  pendLo = 0;
  pendHi = 0;
  /** MSI/INTx mode: an event waits for delivery. */
  legacyPend = false;
  /** Time of the last firing per vector, ns. */
  readonly lastFire = new Float64Array(64).fill(-1e18);
  /** Firings per vector since construction (for stats()). */
  readonly fired = new Float64Array(64);

  constructor(
    /** BAR0 as int32: GPIE, EIAM and IVAR values often have bit 31 set. */
    private readonly bar: Int32Array,
    private readonly set: (word: number, value: number) => void,
    private readonly irq: (vector: number) => void,
  ) {}

  /** Device reset: every cause and mask cleared. */
  reset(): void {
    this.causeLo = this.causeHi = this.other = 0;
    this.maskLo = this.maskHi = this.otherMask = 0;
    this.pendLo = this.pendHi = 0;
    this.legacyPend = false;
    this.lastFire.fill(-1e18);
    this.publish();
  }

  /** True when something waits for an EITR interval to pass. */
  get pending(): boolean {
    return (this.pendLo | this.pendHi) !== 0 || this.legacyPend;
  }

  private msix(): boolean {
    return (this.bar[W_GPIE] & R.GPIE_MSIX_MODE) !== 0;
  }

  /** An RX (tx = 0) or TX (tx = 1) queue event on queue q, routed through its IVAR entry. */
  queueEvent(q: number, tx: 0 | 1, now: number): void {
    const entry = (this.bar[W_IVAR0 + (q >>> 1)] >>> (16 * (q & 1) + 8 * tx)) & 0xff;
    if ((entry & R.IVAR_ALLOC_VAL) === 0) return;
    const v = entry & R.IVAR_VECTOR_MASK;
    if (this.msix()) {
      if (v < 32) {
        this.causeLo |= 1 << v;
        this.pendLo |= 1 << v;
      } else {
        this.causeHi |= 1 << (v - 32);
        this.pendHi |= 1 << (v - 32);
      }
    } else if (v < 16) {
      this.causeLo |= 1 << v;
      this.legacyPend = true;
    }
    this.flush(now);
  }

  /** One or more "other" causes (EICR bits 30:16), e.g. LSC or RX miss. */
  otherEvent(bits: number, now: number): void {
    this.other |= bits & OTHER_MASK;
    this.pendOther();
    this.flush(now);
  }

  private pendOther(): void {
    if (!this.msix()) {
      this.legacyPend = true;
      return;
    }
    const misc = this.bar[W_IVAR_MISC];
    if ((misc & 0x8000) === 0) return; // no vector allocated for other causes
    const v = (misc >>> 8) & R.IVAR_VECTOR_MASK;
    if (v < 32) this.pendLo |= 1 << v;
    else this.pendHi |= 1 << (v - 32);
  }

  /** Delivers what is pending, unmasked and outside its EITR gap. Also called from step(). */
  flush(now: number): void {
    if (!this.msix()) {
      if (!this.legacyPend) return;
      if (((this.causeLo & this.maskLo & QUEUE_MASK) | (this.other & this.otherMask)) === 0) {
        this.legacyPend = false; // masked: the cause stays latched in EICR
      } else if (this.gapOver(0, now)) {
        this.legacyPend = false;
        this.fire(0, now);
      }
      this.publish();
      return;
    }
    let lo = this.pendLo;
    while (lo !== 0) {
      const v = 31 - Math.clz32(lo);
      lo &= ~(1 << v);
      this.tryVector(v, now);
    }
    let hi = this.pendHi;
    while (hi !== 0) {
      const b = 31 - Math.clz32(hi);
      hi &= ~(1 << b);
      this.tryVector(32 + b, now);
    }
    this.publish();
  }

  private tryVector(v: number, now: number): void {
    const bit = 1 << (v & 31);
    const hiHalf = v >= 32;
    const cause = hiHalf ? this.causeHi : this.causeLo;
    const mask = hiHalf ? this.maskHi : this.maskLo;
    const misc = this.bar[W_IVAR_MISC];
    const isMisc = (misc & 0x8000) !== 0 && ((misc >>> 8) & R.IVAR_VECTOR_MASK) === v;
    const ready = (cause & mask & bit) !== 0 || (isMisc && (this.other & this.otherMask) !== 0);
    if (!ready) {
      this.unpend(hiHalf, bit); // masked or already cleared: nothing to deliver now
      return;
    }
    if (!this.gapOver(v, now)) return; // throttled: stays pending, step() retries
    this.unpend(hiHalf, bit);
    this.fire(v, now);
    this.autoClear(v, hiHalf, bit, isMisc);
  }

  private unpend(hiHalf: boolean, bit: number): void {
    if (hiHalf) this.pendHi &= ~bit;
    else this.pendLo &= ~bit;
  }

  /** EIAC auto-clear and EIAM auto-mask after vector v fired (MSI-X only). */
  private autoClear(v: number, hiHalf: boolean, bit: number, isMisc: boolean): void {
    // EIAC covers the 16 queue bits of EICR; vectors 16..63 have no EICR bit and clear always.
    if (v >= 16 || (this.bar[W_EIAC] & bit) !== 0) {
      if (hiHalf) this.causeHi &= ~bit;
      else this.causeLo &= ~bit;
    }
    if ((this.bar[W_GPIE] & R.GPIE_EIAME) === 0) return;
    const eiam = this.bar[W_EIAM];
    const ex = this.bar[W_EIAM_EX0 + (hiHalf ? 1 : 0)];
    if ((ex & bit) !== 0 || (v < 16 && (eiam & bit) !== 0)) {
      if (hiHalf) this.maskHi &= ~bit;
      else this.maskLo &= ~bit;
    }
    if (isMisc) this.otherMask &= ~(eiam & this.other & OTHER_MASK);
  }

  private gapOver(v: number, now: number): boolean {
    const gapNs = ((this.bar[eitrWord(v)] & R.EITR_ITR_INTERVAL_MASK) >>> 3) * 2000;
    return now - this.lastFire[v] >= gapNs;
  }

  private fire(v: number, now: number): void {
    this.lastFire[v] = now;
    this.fired[v]++;
    this.irq(v);
  }

  /** EICR read: causes; clears all of them in MSI/INTx mode, the other causes in MSI-X
   * mode unless GPIE.OCD. */
  readEicr(): number {
    const v = this.peekEicr();
    if (!this.msix()) {
      this.causeLo &= ~QUEUE_MASK;
      this.other = 0;
    } else if ((this.bar[W_GPIE] & R.GPIE_OCD) === 0) {
      this.other = 0;
    }
    this.publish();
    return v;
  }

  /** EICR's value without a read's clearing (what an EICS read returns). */
  peekEicr(): number {
    return ((this.causeLo & QUEUE_MASK) | this.other) >>> 0;
  }

  /** EICR write: 1 clears (RW1C). */
  writeEicr(v: number): void {
    this.causeLo &= ~(v & QUEUE_MASK);
    this.other &= ~(v & OTHER_MASK);
    this.publish();
  }

  /** EICS (n = -1) or EICS_EX(n): software sets causes, which fire like hardware ones. */
  writeEics(n: number, v: number, now: number): void {
    if (n < 0) {
      this.raiseVectors(0, v & QUEUE_MASK);
      if ((v & OTHER_MASK) !== 0) {
        this.other |= v & OTHER_MASK;
        this.pendOther();
      }
    } else {
      this.raiseVectors(n, v);
    }
    this.flush(now);
  }

  private raiseVectors(half: number, bits: number): void {
    if (bits === 0) return;
    if (half === 0) this.causeLo |= bits;
    else this.causeHi |= bits;
    if (!this.msix()) this.legacyPend = true;
    else if (half === 0) this.pendLo |= bits;
    else this.pendHi |= bits;
  }

  /** EIMS (n = -1) or EIMS_EX(n): write 1 to enable; pending latched causes then fire. */
  writeEims(n: number, v: number, now: number): void {
    if (n < 0) {
      this.maskLo |= v & QUEUE_MASK;
      this.otherMask |= v & OTHER_MASK;
    } else if (n === 0) this.maskLo |= v;
    else this.maskHi |= v;
    // A cause latched while masked is delivered once it is unmasked.
    if (!this.msix()) this.legacyPend = true;
    else {
      this.pendLo |= this.causeLo & this.maskLo;
      this.pendHi |= this.causeHi & this.maskHi;
      if ((this.other & this.otherMask) !== 0) this.pendOther();
    }
    this.flush(now);
  }

  /** EIMC (n = -1) or EIMC_EX(n): write 1 to disable. */
  writeEimc(n: number, v: number): void {
    if (n < 0) {
      this.maskLo &= ~(v & QUEUE_MASK);
      this.otherMask &= ~(v & OTHER_MASK);
    } else if (n === 0) this.maskLo &= ~v;
    else this.maskHi &= ~v;
    this.publish();
  }

  /** EIMS read value (n = -1) or EIMS_EX(n). */
  readEims(n: number): number {
    if (n < 0) return ((this.maskLo & QUEUE_MASK) | this.otherMask) >>> 0;
    return (n === 0 ? this.maskLo : this.maskHi) >>> 0;
  }

  /** Mirrors EICR and EIMS into BAR0 so a client mapping the registers sees them. */
  publish(): void {
    this.set(W_EICR, ((this.causeLo & QUEUE_MASK) | this.other) >>> 0);
    this.set(W_EIMS, ((this.maskLo & QUEUE_MASK) | this.otherMask) >>> 0);
  }
}
