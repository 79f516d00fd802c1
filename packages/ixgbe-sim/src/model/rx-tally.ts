/*
 * The counters every received frame touches: MAC length checks (RUC/ROC for undersize and
 * oversize frames; RLEC for 802.3 length-field errors), frames and octets seen (TPR/TOR,
 * RXNFGPC/RXNFGBC) and accepted by the L2 filter (GPRC/GORC, BPRC/MPRC, PRCnn). GPRC counts a
 * frame once the filter accepts it, so frames later missed for packet-buffer space are in it
 * too, as on the 82599 (DPDK: "gprc counts missed packets"). GORC and TOR include the CRC only
 * when it is not stripped (HLREG0.RXCRCSTRP = 0), as the 82599 counts them (the DPDK driver
 * subtracts the CRC itself only when stripping is off). Totals are summed over a step in plain
 * fields and added to the registers once.
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
  /** CRC bytes counted per frame in GORC/TOR this step: 0 when stripped, else 4. */
  private crcBytes = 0;
  /** HLREG0.RXLNGTHERREN this step: RLEC counts length-field errors. */
  private lengthErrors = false;

  constructor(private readonly c: PortCore) {}

  /** Starts a step. */
  begin(strip: boolean, lengthErrors: boolean): void {
    this.nFrames = this.nBytes = this.nSeen = this.nSeenBytes = this.nGood = this.nGoodBytes = 0;
    this.crcBytes = strip ? 0 : 4;
    this.lengthErrors = lengthErrors;
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
    const tl = (buf[o + 12] << 8) | buf[o + 13];
    const tagged = tl === 0x8100;
    if (wlen >= 64 && wlen <= maxFrame + (tagged ? 4 : 0) && len <= RX_STAGING_BYTES) {
      this.nSeen++;
      this.nSeenBytes += len;
      if (tl < 0x600 && this.lengthErrors) this.lengthField(tl, len);
      return true;
    }
    const acc = this.c.counters.acc;
    acc[wlen < 64 ? S.RUC : S.ROC]++;
    this.c.k[wlen < 64 ? KS.DROP_UNDERSIZE : KS.DROP_OVERSIZE]++;
    return false;
  }

  /**
   * An 802.3 frame (type/length field < 0x600 is a length): RLEC counts it when the field does
   * not match the payload, allowing for padding of minimum-size frames. Counted, not dropped.
   */
  private lengthField(field: number, len: number): void {
    const payload = len - 14;
    if (field > payload || (field < payload && len > 60)) this.c.counters.acc[S.RLEC]++;
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
    acc[S.TOR] += this.nBytes + this.crcBytes * this.nFrames;
    acc[S.RXNFGPC] += this.nSeen;
    acc[S.RXNFGBC] += this.nSeenBytes + 4 * this.nSeen;
    acc[S.GPRC] += this.nGood;
    acc[S.GORC] += this.nGoodBytes + this.crcBytes * this.nGood;
  }
}
