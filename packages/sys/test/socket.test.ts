import { expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as sys from "../src/index.ts";

const K = sys.constants;

test("listen/connect/accept over a path, with a receive timeout", () => {
  const dir = mkdtempSync(join(tmpdir(), "dataplane-sock-"));
  const path = join(dir, "s.sock");
  const server = sys.unixSocket();
  const client = sys.unixSocket();
  let conn = -1;
  try {
    sys.bindUnix(server, path);
    sys.listen(server);
    sys.connectUnix(client, path); // completes against the backlog before accept
    conn = sys.accept(server);
    sys.setSocketTimeouts(conn, 50);
    const t0 = performance.now();
    expect(() => sys.recvMessage(conn, new Uint8Array(8))).toThrow(/recvmsg failed: EAGAIN/);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(40);
    sys.sendAll(client, new Uint8Array([9, 8, 7]));
    const buf = new Uint8Array(8);
    expect(sys.recvMessage(conn, buf).bytes).toBe(3);
    sys.shutdown(client);
    expect(sys.recvMessage(conn, buf).bytes).toBe(0); // end of file after the peer shut down
  } finally {
    for (const fd of [server, client, conn]) if (fd >= 0) sys.close(fd);
    rmSync(dir, { recursive: true, force: true });
  }
});

test("a socket path that is too long is refused with a clear message", () => {
  const fd = sys.unixSocket();
  try {
    expect(() => sys.bindUnix(fd, `/tmp/${"x".repeat(200)}`)).toThrow(
      /socket path is 205 bytes, limit 107/,
    );
  } finally {
    sys.close(fd);
  }
});

test("descriptors beyond what the receiver accepts are reported as truncated", () => {
  const [a, b] = sys.socketPair();
  const fds = [sys.eventfd(), sys.eventfd(), sys.eventfd()];
  sys.sendAll(a, new Uint8Array([1]), fds);
  const got = sys.recvMessage(b, new Uint8Array(4), 1);
  expect(got.controlTruncated).toBe(true);
  // CMSG_SPACE rounds up to 8 bytes, so room for one descriptor holds two; the third is lost.
  expect(got.fds.length).toBe(2);
  for (const fd of [a, b, ...fds, ...got.fds]) sys.close(fd);
});

test("sendMessage refuses more descriptors than one message may carry", () => {
  const [a, b] = sys.socketPair();
  expect(() => sys.sendMessage(a, new Uint8Array([1]), new Array(65).fill(0))).toThrow(
    /65 descriptors, limit 64/,
  );
  sys.close(a);
  sys.close(b);
});

test("pinThread restricts the allowed CPU set and rejects nonsense", () => {
  const before = sys.allowedCpus();
  try {
    sys.pinThread([before[0] as number]);
    expect(sys.allowedCpus()).toEqual([before[0] as number]);
  } finally {
    sys.pinThread(before);
  }
  expect(() => sys.pinThread([-1])).toThrow(/not a valid CPU/);
  expect(K.POLLIN).toBe(1);
});
