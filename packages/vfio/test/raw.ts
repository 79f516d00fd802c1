/* A raw vfio-user socket for tests: sends arbitrary bytes, reads whole messages with a timeout. */
import {
  close,
  connectUnix,
  constants as K,
  pollOne,
  recvMessage,
  SysError,
  sendMessage,
  unixSocket,
} from "@dataplane/sys";

/** What came back: a whole message (fds closed already), end of file, or nothing in time. */
export type RawReply = { bytes: Uint8Array; fds: number } | "eof" | "timeout";

export class RawClient {
  readonly fd: number;
  private closed = false;

  constructor(path: string) {
    this.fd = unixSocket();
    connectUnix(this.fd, path);
  }

  /** Sends `bytes` in one sendmsg; false when the server has hung up. */
  send(bytes: Uint8Array, fds: readonly number[] = []): boolean {
    try {
      let off = sendMessage(this.fd, bytes, fds);
      while (off < bytes.length) off += sendMessage(this.fd, bytes.subarray(off));
      return true;
    } catch (e) {
      if (e instanceof SysError && (e.code === "EPIPE" || e.code === "ECONNRESET")) return false;
      throw e;
    }
  }

  private readExact(buf: Uint8Array, deadline: number): number | "eof" | "timeout" {
    let got = 0;
    let fds = 0;
    while (got < buf.length) {
      const left = deadline - Date.now();
      if (left <= 0 || pollOne(this.fd, K.POLLIN, left) === 0) return "timeout";
      let r: ReturnType<typeof recvMessage>;
      try {
        r = recvMessage(this.fd, buf.subarray(got), 8, K.MSG_DONTWAIT);
      } catch (e) {
        if (e instanceof SysError && e.code === "EAGAIN") continue;
        if (e instanceof SysError && e.code === "ECONNRESET") return "eof";
        throw e;
      }
      for (const fd of r.fds) close(fd);
      fds += r.fds.length;
      if (r.bytes === 0) return "eof";
      got += r.bytes;
    }
    return fds;
  }

  /** Reads one whole message. */
  recv(timeoutMs = 2000): RawReply {
    const deadline = Date.now() + timeoutMs;
    const header = new Uint8Array(16);
    const a = this.readExact(header, deadline);
    if (typeof a !== "number") return a;
    const size = new DataView(header.buffer).getUint32(4, true);
    const out = new Uint8Array(Math.max(16, size));
    out.set(header);
    const b = this.readExact(out.subarray(16), deadline);
    if (typeof b !== "number") return b;
    return { bytes: out, fds: a + b };
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    close(this.fd);
  }

  [Symbol.dispose](): void {
    this.close();
  }
}

export const hex = (s: string) => Uint8Array.from(Buffer.from(s.replace(/\s+/g, ""), "hex"));
export const toHex = (b: Uint8Array) => Buffer.from(b).toString("hex");
/** The VERSION request of the protocol fixtures (0.2, max_msg_fds 8, 1 MiB transfers). */
export const VERSION_REQUEST = hex(
  `01000100 54000000 00000000 00000000 0000 0200 ${Buffer.from(
    '{"capabilities":{"max_msg_fds":8,"max_data_xfer_size":1048576}}',
  ).toString("hex")}00`,
);
