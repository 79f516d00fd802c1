/*
 * Frames held in the RX packet buffer (RXPBSIZE(0)): a frame whose queue has no free
 * descriptor and does not drop (SRRCTL.DROP_EN = 0) waits there and blocks every later frame,
 * as on the card, until descriptors appear; when the buffer is full new frames are missed.
 * place() is where every RX frame meets its queue: delivered, dropped or held.
 */
import * as R from "@dataplane/ixgbe/regs";
import { KS, type PortCore } from "./core.ts";
import type { PacketBuffer } from "./packet-buffer.ts";
import { MODE_DROP, NO_DESC, type RxRings } from "./rx-rings.ts";
import { S } from "./stats.ts";

/** Places frames in their queues; holds, misses and drains those of the packet buffer. */
export class HeldFrames {
  constructor(
    private readonly c: PortCore,
    private readonly pb: PacketBuffer,
    private readonly rings: RxRings,
  ) {}

  /** Empties the buffer (device reset). */
  clear(): void {
    this.pb.clear();
  }

  /** Keeps the frame at native address `at` (or misses it when the buffer is full). */
  hold(
    q: number,
    at: number,
    len: number,
    hash: number,
    info: number,
    status: number,
    cap: number,
  ): void {
    if (this.pb.push(at, len, q, hash, info, status, cap)) this.c.k[KS.RX_HELD]++;
    else this.miss();
  }

  /** Packet buffer full: the frame is missed (MPC(0), EICR.RX_MISS). */
  miss(): void {
    const c = this.c;
    c.counters.acc[S.MPC]++;
    c.k[KS.DROP_PACKET_BUFFER_FULL]++;
    c.intr.otherEvent(R.EICR_RX_MISS, c.now);
  }

  /** Moves held frames to their queues, oldest first, until one still finds no descriptor. */
  drain(): number {
    const c = this.c;
    const pb = this.pb;
    const rings = this.rings;
    let work = 0;
    while (pb.count > 0) {
      const w = pb.head >>> 2;
      const hdr = pb.u32[w];
      const q = pb.u32[w + 1];
      if (c.rxEnabled[q] === 0) {
        c.k[KS.DROP_QUEUE_DISABLED]++;
      } else {
        const len = hdr & 0xffffff;
        const off = pb.head + 16;
        const r = rings.deliver(
          q,
          pb.u8,
          pb.u32,
          pb.address,
          off,
          len,
          pb.u32[w + 2],
          pb.u32[w + 3],
          hdr >>> 24,
        );
        if (r === NO_DESC) {
          if ((rings.mode[q] & MODE_DROP) === 0) break; // still blocked
          c.counters.acc[S.QPRDC + rings.slot[q]]++;
          c.k[KS.DROP_NO_DESCRIPTOR]++;
        }
      }
      pb.pop();
      work++;
    }
    return work;
  }

  /**
   * Delivers the frame at buf[o..o+len) (native address `at`) to queue q; without a free
   * descriptor it is dropped (DROP_EN/QDE) or held. Returns false when it was held.
   */
  place(
    q: number,
    buf: Uint8Array,
    buf32: Uint32Array,
    at: number,
    o: number,
    len: number,
    hash: number,
    info: number,
    status: number,
    pbCap: number,
  ): boolean {
    const rings = this.rings;
    if (rings.deliver(q, buf, buf32, at - o, o, len, hash, info, status) !== NO_DESC) return true;
    const c = this.c;
    if ((rings.mode[q] & MODE_DROP) !== 0) {
      c.counters.acc[S.QPRDC + rings.slot[q]]++;
      c.k[KS.DROP_NO_DESCRIPTOR]++;
      return true;
    }
    c.counters.acc[S.RNBC]++;
    this.hold(q, at, len, hash, info, status, pbCap);
    return false;
  }
}
