/*
 * pcap:<file> records every frame the port transmits; pcap-in:<file> replays a file as the
 * port's inbound traffic. Recording appends to a 1 MiB buffer and writes it out when full, on
 * tick() and on close(), so the hot path makes no system call per frame. Replay holds the
 * whole file in memory, indexed once at open.
 */
import {
  close,
  errnoName,
  constants as K,
  mmap,
  munmap,
  open,
  viewOf,
  writeFrom,
} from "@dataplane/sys";
import { IxgbeSimError } from "../errors.ts";
import { RangeCopier } from "./copy.ts";
import {
  PCAP_FILE_HEADER,
  PCAP_RECORD_HEADER,
  PCAP_SNAPLEN,
  type PcapIndex,
  readPcapFile,
  writeFileHeader,
} from "./pcap-format.ts";
import { TokenBucket } from "./token-bucket.ts";
import type { Wire } from "./wire.ts";

const BUFFER_BYTES = 1 << 20;

/** A Wire that writes what the port transmits to a pcap file (nanosecond timestamps). */
export class PcapRecordWire implements Wire {
  frames = 0;
  bytes = 0;
  /** Flushes that failed; their frames are lost from the file (see stats().lastError). */
  writeErrors = 0;
  private lastErrno = 0;
  private fd: number;
  private pos = PCAP_FILE_HEADER;
  private readonly address: number;
  private readonly buffer: Uint8Array;
  private readonly dv: DataView;
  private readonly copier = new RangeCopier();
  // Wall clock = epoch at open + monotonic time since then (one clock read per frame).
  private readonly epochNs: number;
  private readonly monoAtOpen: number;

  constructor(
    readonly spec: string,
    readonly path: string,
  ) {
    try {
      this.fd = open(path, K.O_WRONLY | K.O_CREAT | K.O_TRUNC | K.O_CLOEXEC, 0o644);
    } catch (cause) {
      throw new IxgbeSimError("PCAP_IO", `cannot create pcap file "${path}": ${String(cause)}`, {
        cause,
      });
    }
    try {
      this.address = mmap(
        BUFFER_BYTES,
        K.PROT_READ | K.PROT_WRITE,
        K.MAP_PRIVATE | K.MAP_ANONYMOUS,
      );
    } catch (e) {
      close(this.fd);
      throw e;
    }
    this.buffer = new Uint8Array(viewOf(this.address, BUFFER_BYTES));
    this.dv = new DataView(this.buffer.buffer);
    writeFileHeader(this.dv);
    this.epochNs = Date.now() * 1e6;
    this.monoAtOpen = Bun.nanoseconds();
  }

  pull(_dst: Uint8Array, _offset: number, _maxLen: number): number {
    return 0;
  }

  /** Appends one frame (cut to 65535 bytes) to the buffer; writes the buffer out when full. */
  push(src: Uint8Array, offset: number, len: number): void {
    if (this.fd < 0) return;
    const caplen = Math.min(len, PCAP_SNAPLEN);
    if (this.pos + PCAP_RECORD_HEADER + caplen > BUFFER_BYTES) this.flush();
    const t = this.epochNs + (Bun.nanoseconds() - this.monoAtOpen);
    const sec = Math.floor(t / 1e9);
    const dv = this.dv;
    const at = this.pos;
    dv.setUint32(at, sec, true);
    dv.setUint32(at + 4, t - sec * 1e9, true);
    dv.setUint32(at + 8, caplen, true);
    dv.setUint32(at + 12, len, true);
    this.copier.copy(this.buffer, at + PCAP_RECORD_HEADER, src, offset, caplen);
    this.pos = at + PCAP_RECORD_HEADER + caplen;
    this.frames++;
    this.bytes += len;
  }

  /** Writes buffered frames out, so the file is readable while the wire runs. */
  tick(_nowNs: number): void {
    if (this.pos > 0) this.flush();
  }

  /** Writes the buffer to the file; a failure drops the buffered frames and is counted. */
  flush(): void {
    let done = 0;
    while (done < this.pos) {
      const n = writeFrom(this.fd, this.address + done, this.pos - done);
      if (n < 0) {
        this.writeErrors++;
        this.lastErrno = -n;
        break;
      }
      done += n;
    }
    this.pos = 0;
  }

  stats(): Record<string, unknown> {
    return {
      kind: "pcap",
      spec: this.spec,
      path: this.path,
      frames: this.frames,
      bytes: this.bytes,
      writeErrors: this.writeErrors,
      lastError: this.lastErrno === 0 ? null : errnoName(this.lastErrno),
    };
  }

  /** Flushes and closes the file. Idempotent. */
  close(): void {
    if (this.fd < 0) return;
    this.flush();
    const fd = this.fd;
    this.fd = -1;
    this.copier.clear();
    munmap(this.address, BUFFER_BYTES);
    close(fd);
  }
}

/** A Wire whose pull() replays a pcap file's frames in order, optionally forever and paced. */
export class PcapReplayWire implements Wire {
  replayed = 0;
  bytes = 0;
  /** Completed passes over the file. */
  passes = 0;
  private next = 0;
  private left = 0;
  private readonly index: PcapIndex;
  private readonly bucket: TokenBucket;
  private readonly copier = new RangeCopier();

  /** `rate` in frames/s (Infinity = as fast as pulled); `loop` restarts at the end. */
  constructor(
    readonly spec: string,
    readonly path: string,
    readonly loop: boolean,
    rate: number,
  ) {
    this.index = readPcapFile(path);
    this.bucket = new TokenBucket(rate, 32);
  }

  pull(dst: Uint8Array, offset: number, maxLen: number): number {
    const index = this.index;
    if (this.next === index.count) {
      if (!this.loop || index.count === 0) return 0;
      this.next = 0;
    }
    if (this.left === 0) {
      this.left = this.bucket.refill();
      if (this.left === 0) return 0;
    }
    const i = this.next;
    const len = index.length[i] as number;
    this.copier.copy(dst, offset, index.bytes, index.offset[i] as number, Math.min(len, maxLen));
    this.left--;
    this.replayed++;
    this.bytes += len;
    if (++this.next === index.count) this.passes++;
    return len;
  }

  /** A replaying port drops what it transmits (combine with pcap:FILE or sink to keep it). */
  push(_src: Uint8Array, _offset: number, _len: number): void {}

  tick(_nowNs: number): void {}

  stats(): Record<string, unknown> {
    return {
      kind: "pcap-in",
      spec: this.spec,
      path: this.path,
      framesInFile: this.index.count,
      replayed: this.replayed,
      bytes: this.bytes,
      passes: this.passes,
      loop: this.loop,
    };
  }

  close(): void {
    this.copier.clear();
  }
}
