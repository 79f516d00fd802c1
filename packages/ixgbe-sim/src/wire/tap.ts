/*
 * tap:<ifname>: a Linux TAP device, so kernel network stacks (say, in a namespace) exchange
 * frames with the port. pull() reads one frame straight into the host buffer with readv(2):
 * the first iovec is the buffer, the second a scratch area that only catches the excess of a
 * frame longer than maxLen, which is how a truncated frame's full length is known. push()
 * writes one frame. The descriptor is non-blocking (EAGAIN = nothing now). The device is not
 * persistent: the kernel removes it when close() closes the last descriptor.
 */
import {
  close,
  Errno,
  ioctl,
  constants as K,
  mmap,
  munmap,
  open,
  readvInto,
  SysError,
  viewOf,
  writeFrom,
} from "@dataplane/sys";
import { IxgbeSimError } from "../errors.ts";
import { RangeCopier } from "./copy.ts";
import { MIN_FRAME } from "./frame.ts";
import type { Wire } from "./wire.ts";

/** TUNSETIFF = _IOW('T', 202, int) (linux/if_tun.h). */
const TUNSETIFF = 0x400454ca;
const IFF_TAP = 0x0002;
const IFF_NO_PI = 0x1000; // frames without the 4-byte packet-information prefix
const IFNAMSIZ = 16;
/** Scratch behind the host buffer for the tail of over-long frames (max IPv4 packet + L2). */
const SCRATCH_BYTES = 65536;
const IOV_BYTES = 4096;

/** A Wire over a TAP device named `ifname` (created now, removed on close). */
export class TapWire implements Wire {
  rxFrames = 0;
  rxBytes = 0;
  /** Frames longer than the host buffer (the port gets the first maxLen bytes). */
  rxTruncated = 0;
  rxErrors = 0;
  txFrames = 0;
  txBytes = 0;
  /** Writes refused with EAGAIN/ENOBUFS (kernel queue full) or any other error. */
  txDropped = 0;
  /** Name the kernel gave the device (equal to the requested one unless it held "%d"). */
  readonly ifname: string;
  private fd: number;
  private readonly memory: number;
  private iov: Uint32Array;
  private readonly copier = new RangeCopier();

  constructor(
    readonly spec: string,
    name: string,
  ) {
    try {
      this.fd = open("/dev/net/tun", K.O_RDWR | K.O_NONBLOCK | K.O_CLOEXEC);
    } catch (e) {
      throw tapError(name, e);
    }
    try {
      const ifr = new Uint8Array(40); // struct ifreq: name[16], then flags (u16)
      ifr.set(new TextEncoder().encode(name), 0);
      new DataView(ifr.buffer).setUint16(IFNAMSIZ, IFF_TAP | IFF_NO_PI, true);
      ioctl(this.fd, TUNSETIFF, ifr, "TUNSETIFF");
      this.ifname = new TextDecoder().decode(ifr.subarray(0, ifr.indexOf(0)));
      this.memory = mmap(
        IOV_BYTES + SCRATCH_BYTES,
        K.PROT_READ | K.PROT_WRITE,
        K.MAP_PRIVATE | K.MAP_ANONYMOUS,
      );
    } catch (e) {
      close(this.fd);
      throw tapError(name, e);
    }
    this.iov = new Uint32Array(viewOf(this.memory, 32));
    const scratch = this.memory + IOV_BYTES;
    this.iov[4] = scratch >>> 0;
    this.iov[5] = Math.floor(scratch / 2 ** 32);
    this.iov[6] = SCRATCH_BYTES;
  }

  /** Reads one frame into dst[offset ..]; returns its full length, or 0 when none is queued. */
  pull(dst: Uint8Array, offset: number, maxLen: number): number {
    const address = this.copier.dstAddress(dst, offset);
    const iov = this.iov;
    iov[0] = address >>> 0;
    iov[1] = Math.floor(address / 2 ** 32);
    iov[2] = maxLen;
    const n = readvInto(this.fd, this.memory, 2);
    if (n <= 0) {
      if (n !== -Errno.EAGAIN) this.rxErrors++;
      return 0;
    }
    if (n > maxLen) this.rxTruncated++;
    this.rxFrames++;
    this.rxBytes += n;
    if (n < MIN_FRAME && maxLen >= MIN_FRAME) {
      // The kernel hands frames over unpadded (an ARP request is 42 bytes); on a cable the
      // sending MAC pads them to the minimum, and the card drops anything shorter as undersize.
      dst.fill(0, offset + n, offset + MIN_FRAME);
      return MIN_FRAME;
    }
    return n;
  }

  /** Writes one frame to the kernel; a full queue drops it (counted). */
  push(src: Uint8Array, offset: number, len: number): void {
    const n = writeFrom(this.fd, this.copier.srcAddress(src, offset), len);
    if (n < 0) {
      this.txDropped++;
      return;
    }
    this.txFrames++;
    this.txBytes += len;
  }

  tick(_nowNs: number): void {}

  stats(): Record<string, unknown> {
    return {
      kind: "tap",
      spec: this.spec,
      ifname: this.ifname,
      rxFrames: this.rxFrames,
      rxBytes: this.rxBytes,
      rxTruncated: this.rxTruncated,
      rxErrors: this.rxErrors,
      txFrames: this.txFrames,
      txBytes: this.txBytes,
      txDropped: this.txDropped,
    };
  }

  /** Closes the descriptor, which removes the device. Idempotent. */
  close(): void {
    if (this.fd < 0) return;
    const fd = this.fd;
    this.fd = -1; // later reads/writes fail with EBADF and are counted, never touch the memory
    this.iov = new Uint32Array(8);
    this.copier.clear();
    close(fd);
    munmap(this.memory, IOV_BYTES + SCRATCH_BYTES);
  }
}

function tapError(name: string, cause: unknown): IxgbeSimError {
  const why = cause instanceof SysError ? cause.message : String(cause);
  return new IxgbeSimError(
    "TAP_FAILED",
    `cannot create TAP device "${name}": ${why}; this needs root (CAP_NET_ADMIN), /dev/net/tun ` +
      "and a name not used by another device",
    { cause },
  );
}
