/*
 * Native memory for tests that share a fake NIC with a Worker: ordinary ArrayBuffers are not
 * visible to other threads, an anonymous shared mapping is. One mapping, carved by a bump
 * allocator, unmapped by close().
 */
import { constants as C, mmap, munmap, viewOf } from "@dataplane/sys";
import * as R from "../../src/regs/index.ts";

/** A bump allocator over one anonymous MAP_SHARED|MAP_NORESERVE mapping. */
export class NativeArena {
  readonly address: number;
  private used = 0;
  private open = true;

  constructor(readonly bytes: number) {
    const flags = C.MAP_SHARED | C.MAP_ANONYMOUS | C.MAP_NORESERVE;
    this.address = mmap(bytes, C.PROT_READ | C.PROT_WRITE, flags);
  }

  /** `bytes` zeroed bytes, 64 KiB aligned, as a Uint8Array over a fresh ArrayBuffer. */
  alloc = (bytes: number): Uint8Array => {
    const at = Math.ceil(this.used / 65536) * 65536;
    if (at + bytes > this.bytes) throw new RangeError(`arena of ${this.bytes} bytes is full`);
    this.used = at + bytes;
    return new Uint8Array(viewOf(this.address + at, bytes));
  };

  /** Storage for a FakeNic's BAR0. */
  bar(): Uint32Array {
    const u8 = this.alloc(R.BAR0_SIZE);
    return new Uint32Array(u8.buffer, u8.byteOffset, R.BAR0_SIZE / 4);
  }

  /** Unmaps everything; every view from alloc() is dead afterwards. Idempotent. */
  close(): void {
    if (!this.open) return;
    this.open = false;
    munmap(this.address, this.bytes);
  }
}
