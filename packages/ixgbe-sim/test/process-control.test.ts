/*
 * The control socket of a running simulator: link commands seen through a vfio-user client's
 * LINKS register, the stats document, and untrusted input answered with errors, never a crash.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import * as R from "@dataplane/ixgbe/regs";
import type { Mmio } from "@dataplane/pci";
import { close, connectUnix, sendAll, unixSocket } from "@dataplane/sys";
import { connectVfioUser, REGION_BAR0, type VfioUserClient } from "@dataplane/vfio";
import { ControlClient } from "../src/control/client.ts";
import { type SimHandle, startSim } from "../src/runtime/start.ts";

let sim: SimHandle;
let dev: VfioUserClient;
let bar: Mmio;
let ctl: ControlClient;

beforeAll(async () => {
  sim = await startSim({ ports: 2, wires: ["gen:rate=1k", "queue"], linkDelayMs: 1 });
  dev = connectVfioUser((sim.specs[0] as string).slice("vfio-user:".length));
  dev.writeConfig(4, 2, dev.readConfig(4, 2) | 0x6);
  bar = dev.mapRegion(REGION_BAR0);
  ctl = new ControlClient(sim.controlPath);
}, 60_000);

afterAll(async () => {
  ctl.close();
  dev.close();
  await sim.stop();
});

async function linksUp(want: boolean): Promise<void> {
  const deadline = Date.now() + 2000;
  while (((bar.read32(R.LINKS) & R.LINKS_UP) !== 0) !== want) {
    if (Date.now() > deadline) throw new Error(`LINKS.UP never became ${want}`);
    await Bun.sleep(2);
  }
}

test("link-down / link-up / link-flap show in LINKS through the client", async () => {
  bar.write32(R.AUTOC, bar.read32(R.AUTOC) | R.AUTOC_AN_RESTART);
  await linksUp(true);
  expect(ctl.call({ cmd: "link-down", port: 0 })).toEqual({ up: false });
  expect(bar.read32(R.LINKS) & R.LINKS_UP).toBe(0);
  expect(bar.read32(R.EICR) & R.EICR_LSC).toBe(R.EICR_LSC);
  expect(ctl.call({ cmd: "link-up", port: 0 })).toEqual({ up: true });
  await linksUp(true);
  ctl.call({ cmd: "link-flap", port: 0, args: { ms: 30 } });
  await linksUp(false);
  await linksUp(true);
});

test("stats: model counters, statistics registers, wire and transport", async () => {
  const s = ctl.call({ cmd: "stats", port: 0 }) as Record<string, never>;
  expect(Object.keys(s).sort()).toEqual([
    "beforePowerCycles",
    "model",
    "port",
    "registers",
    "transport",
    "wire",
  ]);
  expect(s.beforePowerCycles).toMatchObject({ powerCycles: 0, rx: { frames: 0 } });
  expect(s.model).toMatchObject({ lanId: 0, link: { up: true } });
  expect(s.wire).toMatchObject({ port: 0, spec: "gen:rate=1k" });
  expect(s.transport).toMatchObject({
    busMaster: true,
    vfioUser: { connected: true },
    sysfs: null,
  });
  const all = (await sim.stats()) as { ports: { port: number }[] };
  expect(all.ports.map((p) => p.port)).toEqual([0, 1]);
  const flap = ctl.call({ cmd: "stats", port: 0 }) as { model: { link: { changes: number } } };
  expect(flap.model.link.changes).toBeGreaterThanOrEqual(5);
});

test("violations: counted per rule over the control socket and in stats, logged once", async () => {
  expect(ctl.call({ cmd: "violations", port: 0 })).toMatchObject({ mode: "strict", total: 0 });
  // Receive on and off outside the SECRXCTRL.RX_DIS handshake, with RDRXCTL at its reset value.
  bar.write32(R.RXCTRL, R.RXCTRL_RXEN);
  bar.write32(R.RXCTRL, 0);
  const v = ctl.call({ cmd: "violations", port: 0 }) as { total: number; rules: unknown[] };
  expect(v.total).toBe(4);
  expect(v.rules).toEqual([
    expect.objectContaining({ rule: "crc-strip-mismatch", count: 1, section: expect.any(String) }),
    expect.objectContaining({ rule: "rdrxctl-required-bits", count: 1 }),
    expect.objectContaining({ rule: "rxen-without-secrx-rx-dis", count: 2 }),
  ]);
  const s = ctl.call({ cmd: "stats", port: 0 }) as { model: { violations: unknown } };
  expect(s.model.violations).toEqual(v);
  const all = ctl.call({ cmd: "violations" }) as { ports: { port: number; total: number }[] };
  expect(all.ports.map((p) => [p.port, p.total])).toEqual([
    [0, 4],
    [1, 0],
  ]);
  const logged = () =>
    sim
      .stderr()
      .split("\n")
      .filter((l) => l.includes("port 0: violation rxen-without-secrx-rx-dis (datasheet 4.6.7"));
  const deadline = Date.now() + 5000;
  while (logged().length === 0 && Date.now() < deadline) await Bun.sleep(10);
  expect(logged().length).toBe(1);
});

test("power-cycle: the replaced model's frame counts move to beforePowerCycles", async () => {
  type Counts = { rx: { frames: number; dropped: Record<string, number> } };
  type PortDoc = { model: Counts; beforePowerCycles: Counts & { powerCycles: number } };
  const sum = (o: Record<string, number>) => Object.values(o).reduce((a, b) => a + b, 0);
  // Port 0's receiver is off: each frame its generator (1k/s) offers is a counted drop.
  const offered = (c: Counts) => c.rx.frames + sum(c.rx.dropped);
  const deadline = Date.now() + 3000;
  let before = ctl.call({ cmd: "stats", port: 0 }) as PortDoc;
  while (offered(before.model) === 0) {
    if (Date.now() > deadline) throw new Error("the generator offered no frame in 3 s");
    await Bun.sleep(10);
    before = ctl.call({ cmd: "stats", port: 0 }) as PortDoc;
  }
  ctl.call({ cmd: "power-cycle", port: 0 });
  const after = ctl.call({ cmd: "stats", port: 0 }) as PortDoc;
  expect(after.beforePowerCycles.powerCycles).toBe(1);
  expect(offered(after.beforePowerCycles)).toBeGreaterThanOrEqual(offered(before.model));
  expect(offered(after.model) + offered(after.beforePowerCycles)).toBeGreaterThanOrEqual(
    offered(before.model),
  );
}, 60_000);

test("bad requests get error replies and the connection keeps working", () => {
  const codes = [
    '{"cmd":"explode","port":0}',
    "not json at all",
    '{"cmd":"link-down"}',
    '{"cmd":"link-down","port":5}',
    '{"cmd":"link-flap","port":0,"args":{"ms":-1}}',
    '{"cmd":"dma-fault","port":0,"args":{"targets":["nowhere"]}}',
    '{"cmd":"inject","port":0,"args":{"frames":["00"]}}',
    '{"cmd":"inject","port":1,"args":{"frames":["0g"]}}',
    '{"cmd":"step"}',
    '{"cmd":"stats","port":0,"extra":1}',
  ].map((line) => {
    const r = ctl.sendLine(line);
    expect(r.ok).toBe(false);
    return r.ok ? "" : r.error.code;
  });
  expect(codes).toEqual([
    "UNKNOWN_COMMAND",
    "BAD_JSON",
    "NO_PORT",
    "NO_PORT",
    "BAD_ARGS",
    "BAD_ARGS",
    "NOT_QUEUE_WIRE",
    "BAD_ARGS",
    "NOT_MANUAL_CLOCK",
    "BAD_REQUEST",
  ]);
  expect(ctl.call({ cmd: "dma-fault", port: 0, args: { count: 2 } })).toEqual({ armed: 2 });
});

test("garbage and oversized lines drop only that client", async () => {
  const fd = unixSocket();
  try {
    connectUnix(fd, sim.controlPath);
    sendAll(fd, new Uint8Array(300 * 1024).fill(0x41)); // no newline, over the line limit
  } catch {
    // the simulator may close on us mid-send: that is the point
  } finally {
    close(fd);
  }
  await Bun.sleep(20);
  expect(ctl.call({ cmd: "inject", port: 1, args: { frames: ["ff".repeat(60)] } })).toEqual({
    accepted: 1,
  });
  expect((ctl.call({ cmd: "help" }) as { commands: unknown[] }).commands.length).toBeGreaterThan(
    10,
  );
});

test("bad control arguments are one sentence naming the argument, not a validator report", () => {
  const messages = [
    '{"cmd":"link-flap","port":0,"args":{"ms":-1}}',
    '{"cmd":"stats","port":0,"extra":1}',
  ].map((line) => {
    const r = ctl.sendLine(line);
    return r.ok ? "" : r.error.message;
  });
  expect(messages).toEqual(["link-flap: ms must be at least 0", 'unknown key "extra"']);
});

test("peek: stored register values by offset, without read side effects; bad offsets refused", () => {
  bar.write32(R.RDBAL(1), 0x12345680);
  bar.write32(R.EICS, R.EICR_TCP_TIMER); // a latched cause: an EICR read would clear it
  const peeked = ctl.call({
    cmd: "peek",
    port: 0,
    args: { offsets: [R.RDBAL(1), `0x${R.EICR.toString(16)}`] },
  }) as Record<string, string>;
  expect(peeked[`0x${R.RDBAL(1).toString(16).padStart(5, "0")}`]).toBe("0x12345680");
  const eicr = `0x${R.EICR.toString(16).padStart(5, "0")}`;
  expect(Number(peeked[eicr]) & R.EICR_TCP_TIMER).toBe(R.EICR_TCP_TIMER);
  expect(bar.read32(R.EICS) & R.EICR_TCP_TIMER).toBe(R.EICR_TCP_TIMER); // still latched
  bar.write32(R.EICR, R.EICR_TCP_TIMER);
  for (const offsets of [[2], [0x80000], ["zz"]]) {
    const r = ctl.sendLine(JSON.stringify({ cmd: "peek", port: 0, args: { offsets } }));
    expect(r.ok ? "" : r.error.code).toBe(offsets[0] === "zz" ? "BAD_ARGS" : "BAD_OFFSET");
  }
});
