/*
 * The RX packet buffer (RXPBSIZE(0)) as a FIFO of frames. A frame lands here only when its
 * queue has no free descriptor and does not drop (SRRCTL.DROP_EN = 0): it then blocks every
 * later frame, as on the card, until descriptors appear; when the buffer is full new frames
 * are missed (MPC). Entries: 16-byte header (len | status << 24, queue, hash, info) + data.
 */
import { addressOf, copyMemory } from "@dataplane/sys";
import { buffers } from "./copy.ts";

/** Largest RXPBSIZE the model honours (the card's 512 KiB). */
export const PB_MAX_BYTES = 512 * 1024;
const STORE = PB_MAX_BYTES + 128 * 1024; // headers and wrap slack on top of the frame bytes
const HDR = 16;

/** Frame FIFO over one preallocated byte ring; no allocation per frame. */
export class PacketBuffer {
  private readonly store = buffers(STORE);
  readonly u8 = this.store.u8;
  readonly u32 = this.store.u32;
  readonly address = addressOf(this.u8);
  /** Byte offset of the oldest entry's header. */
  head = 0;
  private tail = 0;
  private end = STORE;
  private wrapped = false;
  /** Frames held. */
  count = 0;
  /** Frame bytes held (what RXPBSIZE limits). */
  bytes = 0;

  /** Empties the buffer. */
  clear(): void {
    this.head = this.tail = this.count = this.bytes = 0;
    this.wrapped = false;
  }

  /**
   * Appends a frame copied from native address `src`. Returns false when it does not fit in
   * `capacity` frame bytes or in the ring.
   */
  push(
    src: number,
    len: number,
    q: number,
    hash: number,
    info: number,
    status: number,
    capacity: number,
  ): boolean {
    if (this.bytes + len > capacity) return false;
    const size = HDR + ((len + 3) & ~3);
    let at = this.tail;
    if (!this.wrapped) {
      if (at + size > STORE) {
        if (size >= this.head) return false;
        this.end = at;
        this.wrapped = true;
        at = 0;
      }
    } else if (at + size >= this.head) {
      return false;
    }
    const w = at >>> 2;
    this.u32[w] = (len | (status << 24)) >>> 0;
    this.u32[w + 1] = q;
    this.u32[w + 2] = hash;
    this.u32[w + 3] = info;
    copyMemory(this.address + at + HDR, src, len);
    this.tail = at + size;
    this.count++;
    this.bytes += len;
    return true;
  }

  /** Length of the oldest frame. */
  headLen(): number {
    return this.u32[this.head >>> 2] & 0xffffff;
  }

  /** Removes the oldest frame. */
  pop(): void {
    const len = this.headLen();
    this.head += HDR + ((len + 3) & ~3);
    this.count--;
    this.bytes -= len;
    if (this.count === 0) {
      this.clear();
    } else if (this.wrapped && this.head >= this.end) {
      this.head = 0;
      this.wrapped = false;
    }
  }
}
