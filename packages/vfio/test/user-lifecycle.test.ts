/*
 * Failure paths and lifecycle: a silent server times out, a killed server disconnects, a
 * missing socket is reported; the server replaces stale socket files, refuses a live one,
 * validates its model, and removes its socket on close.
 */
import { expect, test } from "bun:test";
import { existsSync, rmSync, unlinkSync } from "node:fs";
import { bindUnix, close, listen, unixSocket } from "@dataplane/sys";
import { connectVfioUser, REGION_BAR0, VfioError, VfioUserServer } from "../src/index.ts";
import { createTestDevice, REG } from "./fixtures/test-device.ts";
import { socketPath, spawnServer } from "./helpers.ts";

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    return e instanceof VfioError ? e.code : `not a VfioError: ${String(e)}`;
  }
  return "no error";
}

test("a server that never answers: TIMEOUT within the bound, not a hang", () => {
  const path = socketPath("silent");
  const fd = unixSocket();
  bindUnix(fd, path);
  listen(fd, 4); // connections complete in the backlog, nobody reads them
  try {
    const t0 = performance.now();
    expect(codeOf(() => connectVfioUser(path, { timeoutMs: 150 }))).toBe("TIMEOUT");
    const took = performance.now() - t0;
    expect(took).toBeGreaterThanOrEqual(140);
    expect(took).toBeLessThan(2000);
  } finally {
    close(fd);
    unlinkSync(path);
  }
});

test("no server at the path: DISCONNECTED naming the path", () => {
  const path = socketPath("nobody");
  let err: unknown;
  try {
    connectVfioUser(path);
  } catch (e) {
    err = e;
  }
  expect((err as VfioError).code).toBe("DISCONNECTED");
  expect((err as VfioError).message).toContain(path);
});

test("the server dies mid-session: requests fail with DISCONNECTED, close() does not hang", async () => {
  const server = await spawnServer();
  const dev = connectVfioUser(server.path, { timeoutMs: 1000 });
  const bar = dev.mapRegion(REGION_BAR0);
  expect(bar.read32(REG.ID)).toBe(0x5ca1ab1e);
  server.proc.kill("SIGKILL");
  await server.proc.exited;
  const t0 = performance.now();
  expect(codeOf(() => bar.read32(REG.SCRATCH))).toBe("DISCONNECTED");
  expect(codeOf(() => dev.reset())).toBe("DISCONNECTED");
  dev.close();
  expect(performance.now() - t0).toBeLessThan(500);
  expect(codeOf(() => dev.reset())).toBe("CLOSED");
  rmSync(server.path, { force: true });
});

test("a second client is told the device is in use (BUSY), and the first keeps working", async () => {
  const server = await spawnServer();
  try {
    const first = connectVfioUser(server.path, { timeoutMs: 5000 });
    const bar = first.mapRegion(REGION_BAR0);
    let err: unknown = null;
    try {
      connectVfioUser(server.path, { timeoutMs: 5000 }).close();
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(VfioError);
    expect((err as VfioError).code).toBe("BUSY");
    expect((err as VfioError).message).toBe(
      `device ${server.path} is in use by another client; stop that client or connect to another device`,
    );
    expect(bar.read32(REG.ID)).toBe(0x5ca1ab1e); // the first client is still served
    first.close();
    // Once the first has gone, the next one is served.
    const next = connectVfioUser(server.path, { timeoutMs: 5000 });
    expect(next.mapRegion(REGION_BAR0).read32(REG.ID)).toBe(0x5ca1ab1e);
    next.close();
  } finally {
    server.proc.kill("SIGKILL");
    await server.proc.exited;
    rmSync(server.path, { force: true });
  }
});

test("server: replaces a stale socket file, refuses a live one, unlinks on close", () => {
  const path = socketPath("stale");
  const stale = unixSocket();
  bindUnix(stale, path);
  close(stale); // the file stays, nobody listens
  expect(existsSync(path)).toBe(true);
  let server: VfioUserServer | null = null;
  const device = createTestDevice(() => server as VfioUserServer);
  server = new VfioUserServer(path, device.model);
  try {
    expect(server.connected).toBe(false);
    expect(server.poll(0)).toBe(0);
    expect(codeOf(() => new VfioUserServer(path, device.model))).toBe("BAD_ARGUMENT");
  } finally {
    server.close();
    server.close();
    device.close();
  }
  expect(existsSync(path)).toBe(false);
});

test("server: a model with a misaligned mmap area or odd config size is refused", () => {
  const path = socketPath("model");
  const device = createTestDevice(() => {
    throw new Error("this test never serves a client");
  });
  try {
    const region = device.model.regions[0];
    if (region === undefined) throw new Error("fixture has BAR0");
    const misaligned = {
      ...device.model,
      regions: [{ ...region, mmap: { fd: 0, areas: [{ offset: 0x100, size: 0x1000 }] } }],
    };
    expect(codeOf(() => new VfioUserServer(path, misaligned))).toBe("BAD_ARGUMENT");
    const oddConfig = { ...device.model, config: { bytes: new Uint8Array(100) } };
    expect(codeOf(() => new VfioUserServer(path, oddConfig))).toBe("BAD_ARGUMENT");
    expect(existsSync(path)).toBe(false);
  } finally {
    device.close();
  }
});

test("client options are validated", () => {
  expect(codeOf(() => connectVfioUser("/nonexistent", { timeoutMs: 0 }))).toBe("BAD_ARGUMENT");
  expect(codeOf(() => connectVfioUser("/nonexistent", { maxMsgFds: 0 }))).toBe("BAD_ARGUMENT");
});
