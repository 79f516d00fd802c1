// Real network stacks on both sides: two network namespaces, each attached to one port by a
// TAP wire, with l2fwd (pass mode: the kernels' MACs stay as they are) between them. Ping both
// ways, then 100 MB over TCP whose sha256 must match on both ends.
import { afterAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import type { DevicePortSet } from "../src/ports.ts";
import { openPorts } from "../src/ports.ts";
import { runForwarding } from "../src/run.ts";
import type { RunSummary } from "../src/stats.ts";
import {
  embeddedConfig,
  hugepagesBack,
  hugepagesOfTree,
  missingNeeds,
  settings,
} from "./support/e2e.ts";

const why = missingNeeds(12, ["ip", "ping"]);
const tag = String(process.pid % 100000);
const NS = [`l2fwd-e2e-${tag}-a`, `l2fwd-e2e-${tag}-b`] as const;
const TAP = [`l2t${tag}a`, `l2t${tag}b`] as const;
const ADDR = ["198.18.0.1", "198.18.0.2"] as const;
const BYTES = 100 * 1024 * 1024;
const FIXTURE = join(import.meta.dir, "fixtures/tcp-sha.ts");

async function sh(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const p = Bun.spawn(args, { stdout: "pipe", stderr: "pipe", stdin: "ignore" });
  const [out, err, code] = await Promise.all([
    new Response(p.stdout).text(),
    new Response(p.stderr).text(),
    p.exited,
  ]);
  return { code, out, err };
}

async function must(args: string[]): Promise<string> {
  const r = await sh(args);
  if (r.code !== 0) throw new Error(`${args.join(" ")} exited ${r.code}: ${r.err}`);
  return r.out;
}

// Namespaces are removed whatever happened (their TAPs go with the model process).
afterAll(async () => {
  for (const ns of NS) await sh(["ip", "netns", "del", ns]);
});

describe.skipIf(why !== null)(`l2fwd between two kernel network stacks ${why ?? ""}`, () => {
  test("ping both ways and 100 MB of TCP with an intact sha256", async () => {
    const start = hugepagesOfTree();
    const config = embeddedConfig({
      mode: "pass",
      ringSize: 1024,
      sim: { wires: [`tap:${TAP[0]}`, `tap:${TAP[1]}`] },
    });
    const stop = new Int32Array(1);
    let set: DevicePortSet | null = null;
    let running: Promise<RunSummary> | null = null;
    try {
      set = await openPorts(config, { sim: { linkDelayMs: 5 } });
      for (const i of [0, 1] as const) {
        await must(["ip", "netns", "add", NS[i]]);
        await must(["ip", "link", "set", TAP[i], "netns", NS[i]]);
        await must(["ip", "-n", NS[i], "addr", "add", `${ADDR[i]}/24`, "dev", TAP[i]]);
        await must(["ip", "-n", NS[i], "link", "set", TAP[i], "up"]);
        await must(["ip", "-n", NS[i], "link", "set", "lo", "up"]);
      }
      running = runForwarding(set, settings(config, { duration: 0 }), stop, () => {});
      for (const [from, to] of [
        [0, 1],
        [1, 0],
      ] as const) {
        const ping = await sh([
          "ip",
          "netns",
          "exec",
          NS[from],
          "ping",
          "-c",
          "3",
          "-i",
          "0.2",
          "-W",
          "2",
          ADDR[to],
        ]);
        expect(ping.out).toContain("3 received");
      }
      const server = Bun.spawn(
        ["ip", "netns", "exec", NS[1], process.execPath, FIXTURE, "server", ADDR[1], "5201"],
        { stdout: "pipe", stderr: "pipe", stdin: "ignore" },
      );
      await waitForListening(server.stderr);
      const client = await sh([
        "ip",
        "netns",
        "exec",
        NS[0],
        process.execPath,
        FIXTURE,
        "client",
        ADDR[1],
        "5201",
        String(BYTES),
      ]);
      const received = JSON.parse(await new Response(server.stdout).text());
      expect(await server.exited).toBe(0);
      expect(client.code).toBe(0);
      const sent = JSON.parse(client.out);
      expect(sent.bytes).toBe(BYTES);
      expect(received).toEqual(sent);
      Atomics.store(stop, 0, 1);
      const summary = await running;
      running = null;
      expect(summary.forwarded).toBeGreaterThan(BYTES / 1514); // every segment went through l2fwd
      expect(summary.verdict.validated).toBe(false); // no generator/sink on TAP wires
    } finally {
      Atomics.store(stop, 0, 1);
      await running?.catch(() => {});
      set?.close();
      await set?.closed;
      for (const ns of NS) await sh(["ip", "netns", "del", ns]);
    }
    expect(await must(["ip", "netns", "list"])).not.toContain(`l2fwd-e2e-${tag}`);
    for (const t of TAP) expect((await sh(["ip", "link", "show", t])).code).not.toBe(0);
    expect(await hugepagesBack(start)).toBe(start);
  }, 90_000);
});

async function waitForListening(stream: ReadableStream<Uint8Array>): Promise<void> {
  const reader = stream.getReader();
  const decoder = new TextDecoder();
  let text = "";
  const deadline = Date.now() + 10_000;
  while (!text.includes("listening")) {
    if (Date.now() > deadline) throw new Error(`server did not start: ${text}`);
    const r = await reader.read();
    if (r.done) throw new Error(`server exited: ${text}`);
    text += decoder.decode(r.value, { stream: true });
  }
  reader.releaseLock();
}
