/*
 * UNIX stream sockets and file-descriptor passing (SCM_RIGHTS), which Bun's socket API lacks.
 * x86-64 layouts: msghdr 56 B {name@0, namelen@8, iov@16, iovlen@24, control@32,
 * controllen@40, flags@48}; iovec 16 B; cmsghdr {len@0 (size_t), level@8, type@12, data@16}.
 */

import {
  AF_UNIX,
  MSG_CMSG_CLOEXEC,
  MSG_CTRUNC,
  MSG_NOSIGNAL,
  SCM_RIGHTS,
  SHUT_RDWR,
  SO_RCVTIMEO,
  SO_SNDTIMEO,
  SOCK_CLOEXEC,
  SOCK_STREAM,
  SOL_SOCKET,
} from "./constants.ts";
import { lastErrno } from "./errno.ts";
import { check, SysError } from "./errors.ts";
import { libc } from "./libc.ts";
import { addressOf } from "./memory.ts";

const SOCKADDR_UN_SIZE = 110;
const SUN_PATH_MAX = 107; // 108 bytes including the NUL
const CMSG_HEADER = 16;
/** The most descriptors one message may carry here (the kernel's SCM_MAX_FD is 253). */
export const MAX_FDS_PER_MESSAGE = 64;

function sockaddrUn(path: string): Uint8Array {
  const bytes = new TextEncoder().encode(path);
  if (bytes.length > SUN_PATH_MAX) {
    throw new SysError(
      "sockaddr_un",
      36,
      `socket path is ${bytes.length} bytes, limit ${SUN_PATH_MAX}: ${path}`,
    );
  }
  const sa = new Uint8Array(SOCKADDR_UN_SIZE);
  new DataView(sa.buffer).setUint16(0, AF_UNIX, true);
  sa.set(bytes, 2);
  return sa;
}

/** A new AF_UNIX stream socket (close-on-exec). */
export function unixSocket(extraFlags = 0): number {
  return check("socket", libc.socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | extraFlags, 0));
}

/** Two connected AF_UNIX stream sockets. */
export function socketPair(): [number, number] {
  const fds = new Int32Array(2);
  check("socketpair", libc.socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds as never));
  return [fds[0] as number, fds[1] as number];
}

/** bind(2) to a filesystem path. */
export function bindUnix(fd: number, path: string): void {
  check("bind", libc.bind(fd, sockaddrUn(path) as never, SOCKADDR_UN_SIZE), path);
}

/** listen(2). */
export function listen(fd: number, backlog = 8): void {
  check("listen", libc.listen(fd, backlog));
}

/** accept4(2); returns the connection's descriptor (close-on-exec). */
export function accept(fd: number, flags = SOCK_CLOEXEC): number {
  return check("accept4", libc.accept4(fd, null, null, flags));
}

/** connect(2) to a filesystem path. */
export function connectUnix(fd: number, path: string): void {
  check("connect", libc.connect(fd, sockaddrUn(path) as never, SOCKADDR_UN_SIZE), path);
}

/** shutdown(2) both directions; a blocked peer then sees end of file. */
export function shutdown(fd: number): void {
  check("shutdown", libc.shutdown(fd, SHUT_RDWR));
}

/** Sets SO_RCVTIMEO / SO_SNDTIMEO in milliseconds (0 = block forever). */
export function setSocketTimeouts(fd: number, recvMs: number, sendMs = recvMs): void {
  for (const [opt, ms] of [
    [SO_RCVTIMEO, recvMs],
    [SO_SNDTIMEO, sendMs],
  ] as const) {
    const tv = new BigInt64Array([BigInt(Math.floor(ms / 1000)), BigInt((ms % 1000) * 1000)]);
    check("setsockopt", libc.setsockopt(fd, SOL_SOCKET, opt, tv as never, 16));
  }
}

function msghdr(iov: BigUint64Array, control: Uint8Array | null): Uint8Array {
  const msg = new Uint8Array(56);
  const m = new DataView(msg.buffer);
  m.setBigUint64(16, BigInt(addressOf(iov)), true);
  m.setBigUint64(24, BigInt(iov.length / 2), true);
  if (control !== null && control.length > 0) {
    m.setBigUint64(32, BigInt(addressOf(control)), true);
    m.setBigUint64(40, BigInt(control.length), true);
  }
  return msg;
}

/**
 * sendmsg(2) of `data` with `fds` attached as SCM_RIGHTS. Returns the bytes sent, which on a
 * stream socket may be fewer than `data.length` (the descriptors travel with the first byte).
 */
export function sendMessage(fd: number, data: Uint8Array, fds: readonly number[] = []): number {
  if (fds.length > MAX_FDS_PER_MESSAGE) {
    throw new SysError("sendmsg", 22, `${fds.length} descriptors, limit ${MAX_FDS_PER_MESSAGE}`);
  }
  const iov = new BigUint64Array([BigInt(addressOf(data)), BigInt(data.length)]);
  let control: Uint8Array | null = null;
  if (fds.length > 0) {
    const dataLen = 4 * fds.length;
    control = new Uint8Array(CMSG_HEADER + ((dataLen + 7) & ~7));
    const c = new DataView(control.buffer);
    c.setBigUint64(0, BigInt(CMSG_HEADER + dataLen), true);
    c.setInt32(8, SOL_SOCKET, true);
    c.setInt32(12, SCM_RIGHTS, true);
    for (let i = 0; i < fds.length; i++) c.setInt32(CMSG_HEADER + 4 * i, fds[i] as number, true);
  }
  const msg = msghdr(iov, control);
  const sent = Number(libc.sendmsg(fd, msg as never, MSG_NOSIGNAL));
  // data, iov, control and msg stay referenced until here, so the GC cannot move or free them.
  if (sent < 0) throw new SysError("sendmsg", lastErrno());
  return sent;
}

/** Sends all of `data` (fds with the first chunk), retrying short writes. */
export function sendAll(fd: number, data: Uint8Array, fds: readonly number[] = []): void {
  let off = sendMessage(fd, data, fds);
  while (off < data.length) off += sendMessage(fd, data.subarray(off));
}

/** What recvMessage got: bytes read into the buffer, descriptors received, truncation flags. */
export interface Received {
  bytes: number;
  fds: number[];
  controlTruncated: boolean;
}

/**
 * recvmsg(2) into `buf`, accepting up to `maxFds` descriptors (close-on-exec). `bytes` is 0 when
 * the peer closed. If the peer sent more descriptors than fit, `controlTruncated` is set; the
 * ones that did arrive are still returned so the caller can close them.
 */
export function recvMessage(fd: number, buf: Uint8Array, maxFds = 0, flags = 0): Received {
  const iov = new BigUint64Array([BigInt(addressOf(buf)), BigInt(buf.length)]);
  const control = maxFds > 0 ? new Uint8Array(CMSG_HEADER + ((4 * maxFds + 7) & ~7)) : null;
  const msg = msghdr(iov, control);
  const got = Number(libc.recvmsg(fd, msg as never, flags | MSG_CMSG_CLOEXEC));
  if (got < 0) throw new SysError("recvmsg", lastErrno());
  const m = new DataView(msg.buffer);
  const fds: number[] = [];
  if (control !== null) {
    const c = new DataView(control.buffer);
    const controlLen = Number(m.getBigUint64(40, true));
    for (let off = 0; off + CMSG_HEADER <= controlLen; ) {
      const len = Number(c.getBigUint64(off, true));
      if (len < CMSG_HEADER) break;
      if (c.getInt32(off + 8, true) === SOL_SOCKET && c.getInt32(off + 12, true) === SCM_RIGHTS) {
        for (let p = off + CMSG_HEADER; p + 4 <= off + len && p + 4 <= controlLen; p += 4) {
          fds.push(c.getInt32(p, true));
        }
      }
      off += (len + 7) & ~7;
    }
  }
  return { bytes: got, fds, controlTruncated: (m.getInt32(48, true) & MSG_CTRUNC) !== 0 };
}
