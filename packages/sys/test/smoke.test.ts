import { expect, test } from "bun:test";
import * as sys from "../src/index.ts";

const { constants: K } = sys;

test("a failing call throws SysError with the call, errno and its name", () => {
  let caught: unknown;
  try {
    sys.open("/nonexistent/dataplane-test", K.O_RDONLY);
  } catch (e) {
    caught = e;
  }
  expect(caught).toBeInstanceOf(sys.SysError);
  const err = caught as sys.SysError;
  expect(err.call).toBe("open");
  expect(err.errno).toBe(2);
  expect(err.code).toBe("ENOENT");
  expect(err.message).toContain("/nonexistent/dataplane-test");
  expect(err.message).toContain("No such file or directory");
});

test("memfd + mmap shared twice: both mappings see the same bytes", () => {
  const fd = sys.memfdCreate("smoke", K.MFD_CLOEXEC);
  try {
    sys.ftruncate(fd, 4096);
    const a = sys.mmap(4096, K.PROT_READ | K.PROT_WRITE, K.MAP_SHARED, fd);
    const b = sys.mmap(4096, K.PROT_READ | K.PROT_WRITE, K.MAP_SHARED, fd);
    expect(a).not.toBe(b);
    const va = new Uint32Array(sys.viewOf(a, 4096));
    const vb = new Uint32Array(sys.viewOf(b, 4096));
    va[7] = 0xdeadbeef;
    expect(vb[7]).toBe(0xdeadbeef);
    sys.munmap(a, 4096);
    sys.munmap(b, 4096);
  } finally {
    sys.close(fd);
  }
});

test("SCM_RIGHTS: a descriptor sent over a socketpair refers to the same file", () => {
  const [s0, s1] = sys.socketPair();
  const fd = sys.memfdCreate("pass", K.MFD_CLOEXEC);
  sys.ftruncate(fd, 12345);
  sys.sendAll(s0, new Uint8Array([1, 2, 3]), [fd]);
  const buf = new Uint8Array(16);
  const got = sys.recvMessage(s1, buf, 4);
  expect(got.bytes).toBe(3);
  expect(got.fds.length).toBe(1);
  expect(sys.fileSize(got.fds[0] as number)).toBe(12345);
  for (const d of [s0, s1, fd, ...got.fds]) sys.close(d);
});

test("eventfd wakes a poller and resets on read", () => {
  const efd = sys.eventfd(0, K.EFD_NONBLOCK);
  expect(sys.eventfdRead(efd)).toBe(0);
  expect(sys.pollOne(efd, K.POLLIN, 0)).toBe(0);
  sys.eventfdWrite(efd, 3);
  expect(sys.pollOne(efd, K.POLLIN, 100) & K.POLLIN).toBe(K.POLLIN);
  expect(sys.eventfdRead(efd)).toBe(3);
  // Counts above 32 bits survive the two-halves encoding in both directions.
  sys.eventfdWrite(efd, 2 ** 40 + 5);
  sys.eventfdWrite(efd, 2 ** 32 - 1);
  expect(sys.eventfdRead(efd)).toBe(2 ** 40 + 2 ** 32 + 4);
  sys.close(efd);
});

test("lseek then read returns the bytes at that offset; a bad fd is EBADF", () => {
  const fd = sys.memfdCreate("seek", K.MFD_CLOEXEC);
  try {
    sys.pwrite(fd, new Uint8Array([7, 8, 9]), 3, 5000);
    expect(sys.lseek(fd, 5001)).toBe(5001);
    const two = new Uint8Array(2);
    expect(sys.read(fd, two)).toBe(2);
    expect(Array.from(two)).toEqual([8, 9]);
  } finally {
    sys.close(fd);
  }
  expect(() => sys.lseek(fd, 0)).toThrow(/lseek\(\d+, 0\) failed: EBADF/);
});

test("pidfdOpen: readable once the process exits; ESRCH for no such process", async () => {
  const child = Bun.spawn(["sleep", "60"]);
  const fd = sys.pidfdOpen(child.pid);
  try {
    expect(sys.pollOne(fd, K.POLLIN, 0)).toBe(0);
    child.kill("SIGKILL");
    await child.exited;
    expect(sys.pollOne(fd, K.POLLIN, 10_000) & K.POLLIN).toBe(K.POLLIN);
  } finally {
    sys.close(fd);
  }
  expect(() => sys.pidfdOpen(2 ** 30)).toThrow(/ESRCH/);
});
