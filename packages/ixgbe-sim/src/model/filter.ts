/*
 * Layer-2 receive filter (82599 datasheet §7.1.1.1, fact sheet §5.2): unicast against the
 * valid RAL/RAH entries or UPE, multicast through MPE or the MTA hash (MCSTCTRL.MFE),
 * broadcast through BAM or MPE. VLAN filtering (VLNCTRL.VFE) and the VT-mode unicast hash
 * (PFUTA) are not modelled.
 */
import * as R from "@dataplane/ixgbe/regs";

/** accept() result bits. */
export const F = { REJECT: -1, BROADCAST: 1, MULTICAST: 2, INEXACT: 4 } as const;

const W_FCTRL = R.FCTRL >>> 2;
const W_MCSTCTRL = R.MCSTCTRL >>> 2;
const W_MTA0 = R.MTA(0) >>> 2;

/** The valid receive-address entries, copied out of RAL/RAH when they change. */
export class L2Filter {
  private readonly lo = new Int32Array(R.RAR_COUNT); // int32: MACs often have bit 31 set
  private readonly hi = new Int32Array(R.RAR_COUNT);
  private count = 0;

  constructor(private readonly bar: Uint32Array) {}

  /** Re-reads RAL/RAH(0..127); entries without AV are ignored. */
  rebuild(): void {
    let n = 0;
    for (let i = 0; i < R.RAR_COUNT; i++) {
      const rah = this.bar[R.RAH(i) >>> 2];
      if ((rah & R.RAH_AV) === 0) continue;
      this.lo[n] = this.bar[R.RAL(i) >>> 2] | 0;
      this.hi[n] = rah & 0xffff;
      n++;
    }
    this.count = n;
  }

  /**
   * Decides on the frame whose destination address starts at buf[o]. Returns F.REJECT or a set
   * of F bits (BROADCAST, MULTICAST, INEXACT = accepted without an exact unicast match).
   */
  accept(buf: Uint8Array, o: number): number {
    const fctrl = this.bar[W_FCTRL];
    const lo = buf[o] | (buf[o + 1] << 8) | (buf[o + 2] << 16) | (buf[o + 3] << 24);
    const hi = buf[o + 4] | (buf[o + 5] << 8);
    if ((buf[o] & 1) === 0) {
      for (let i = 0; i < this.count; i++) {
        if (this.lo[i] === lo && this.hi[i] === hi) return 0;
      }
      return (fctrl & R.FCTRL_UPE) !== 0 ? F.INEXACT : F.REJECT;
    }
    if (lo === -1 && hi === 0xffff) {
      return (fctrl & (R.FCTRL_BAM | R.FCTRL_MPE)) !== 0 ? F.BROADCAST | F.INEXACT : F.REJECT;
    }
    if ((fctrl & R.FCTRL_MPE) !== 0) return F.MULTICAST | F.INEXACT;
    const mc = this.bar[W_MCSTCTRL];
    if (
      (mc & R.MCSTCTRL_MFE) !== 0 &&
      this.mtaHit(buf[o + 4], buf[o + 5], mc & R.MCSTCTRL_MO_MASK)
    ) {
      return F.MULTICAST | F.INEXACT;
    }
    return F.REJECT;
  }

  /** MTA lookup: 12 bits of the address chosen by MCSTCTRL.MO index a 4096-bit table. */
  private mtaHit(b4: number, b5: number, mo: number): boolean {
    let idx: number;
    if (mo === 0) idx = (b4 >>> 4) | (b5 << 4);
    else if (mo === 1) idx = (b4 >>> 3) | (b5 << 5);
    else if (mo === 2) idx = (b4 >>> 2) | (b5 << 6);
    else idx = b4 | (b5 << 8);
    idx &= 0xfff;
    return ((this.bar[W_MTA0 + (idx >>> 5)] >>> (idx & 31)) & 1) !== 0;
  }
}
