/*
 * The counters every received frame touches: MAC length checks (RUC/ROC/RLEC), frames and
 * octets seen (TPR/TOR, RXNFGPC/RXNFGBC) and accepted by the L2 filter (GPRC/GORC, BPRC/MPRC,
 * PRCnn). Totals are summed over a step in plain fields and added to the registers once.
 */
import { KS, type PortCore } from "./core.ts";
import { F } from "./filter.ts";
import { S, sizeBin } from "./stats.ts";

/** Largest frame the model takes from a wire (the card's 15.5 KiB limit, rounded up). */
export const RX_STAGING_BYTES = 16384;

/** Per-step receive totals of one port. */
export class RxTally {
  private nFrames = 0;
  private nBytes = 0;
  private nSeen = 0; // passed the MAC checks (RXNFGPC)
  private nSeenBytes = 0;
  private nGood = 0; // passed the L2 filter (GPRC)
  private nGoodBytes = 0;

  constructor(private readonly c: PortCore) {}

  /** Starts a step. */
  begin(): void {
    this.nFrames = this.nBytes = this.nSeen = this.nSeenBytes = this.nGood = this.nGoodBytes = 0;
  }

  /** A frame of `len` bytes (no FCS) arrived from the wire. */
  arrived(len: number): void {
    this.nFrames++;
    this.nBytes += len;
  }

  /**
   * MAC length checks (FCS included, as the card measures) of the frame at buf[o..o+len);
   * counts it as seen, or counts and drops a bad length (false).
   */
  lengthOk(buf: Uint8Array, o: number, len: number, maxFrame: number): boolean {
    const wlen = len + 4; // wires carry no FCS
    const tagged = buf[o + 12] === 0x81 && buf[o + 13] === 0;
    if (wlen >= 64 && wlen <= maxFrame + (tagged ? 4 : 0) && len <= RX_STAGING_BYTES) {
      this.nSeen++;
      this.nSeenBytes += len;
      return true;
    }
    const acc = this.c.counters.acc;
    acc[wlen < 64 ? S.RUC : S.ROC]++;
    acc[S.RLEC]++;
    this.c.k[wlen < 64 ? KS.DROP_UNDERSIZE : KS.DROP_OVERSIZE]++;
    return false;
  }

  /** Counts a frame that passed the L2 filter (F bits `f`). */
  good(f: number, len: number): void {
    const acc = this.c.counters.acc;
    this.nGood++;
    this.nGoodBytes += len;
    if ((f & F.BROADCAST) !== 0) acc[S.BPRC]++;
    else if ((f & F.MULTICAST) !== 0) acc[S.MPRC]++;
    acc[S.PRC64 + sizeBin(len + 4)]++;
  }

  /** Adds the step's totals to the statistics. */
  flush(): void {
    if (this.nFrames === 0) return;
    const c = this.c;
    const acc = c.counters.acc;
    c.k[KS.RX_FRAMES] += this.nFrames;
    c.k[KS.RX_BYTES] += this.nBytes;
    acc[S.TPR] += this.nFrames;
    acc[S.TOR] += this.nBytes + 4 * this.nFrames; // octets include the FCS
    acc[S.RXNFGPC] += this.nSeen;
    acc[S.RXNFGBC] += this.nSeenBytes + 4 * this.nSeen;
    acc[S.GPRC] += this.nGood;
    acc[S.GORC] += this.nGoodBytes + 4 * this.nGood;
  }
}
