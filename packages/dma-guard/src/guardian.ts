/*
 * The guardian process: `bun guardian.ts '<GuardianConfig JSON>'`, started by DmaGuard.start().
 * It holds references to the owner's DMA memory (fds it opens through /proc) and to the device
 * (config, BAR0), and waits on a pidfd of the owner and on its stdin. When the owner dies without
 * saying `release`: clear Bus Master Enable, run the device's stop hook, and only then close the
 * memory, so the pages cannot return to the kernel while the device may still write into them.
 */
import { appendFileSync } from "node:fs";
import {
  constants as C,
  close,
  fileSize,
  open,
  PollSet,
  pidfdOpen,
  read,
  write,
} from "@dataplane/sys";
import { type GuardEvent, GuardianConfig, Reply } from "./config.ts";
import { GuardedDevice } from "./device.ts";
import { processHugeMappings } from "./mappings.ts";
import { needsBar, runStopHook } from "./stop-hooks.ts";

const encoder = new TextEncoder();
const say = (line: string): void => {
  write(1, encoder.encode(`${line}\n`));
};

function parseConfig(): GuardianConfig {
  const parsed = GuardianConfig.safeParse(JSON.parse(process.argv[2] ?? "null"));
  if (!parsed.success) {
    say(
      `${Reply.error} bad guardian configuration: ${parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`,
    );
    process.exit(2);
  }
  return parsed.data;
}

const config = parseConfig();
let sequence = 0;
const log = (event: GuardEvent, detail: Record<string, unknown> = {}): void => {
  if (config.log === null) return;
  appendFileSync(
    config.log,
    `${JSON.stringify({ seq: sequence++, event, pid: process.pid, ...detail })}\n`,
  );
};

// Ctrl-C in the owner's terminal reaches the whole process group: the guardian must outlive the
// owner to do its job, so it ignores the terminal's signals (the owner ends it with `release`).
process.on("SIGINT", () => {});
process.on("SIGHUP", () => {});

const held: number[] = [];
let pidfd = -1;
let device: GuardedDevice;
try {
  pidfd = pidfdOpen(config.owner);
  device = new GuardedDevice(config.device, needsBar(config.stop));
} catch (e) {
  say(`${Reply.error} ${(e as Error).message}`);
  process.exit(1);
}

function hold(line: string): void {
  const [command, arg] = line.split(" ");
  const fds: number[] = [];
  try {
    if (command === "hold-fd")
      fds.push(open(`/proc/${config.owner}/fd/${arg}`, C.O_RDWR | C.O_CLOEXEC));
    else if (command === "hold-maps") {
      for (const m of processHugeMappings(config.owner)) {
        fds.push(open(`/proc/${config.owner}/map_files/${m.range}`, C.O_RDWR | C.O_CLOEXEC));
      }
    } else throw new Error(`unknown command "${line}"`);
  } catch (e) {
    for (const fd of fds) close(fd);
    say(`${Reply.error} ${(e as Error).message}`);
    return;
  }
  const bytes = fds.reduce((sum, fd) => sum + fileSize(fd), 0);
  held.push(...fds);
  log("held", { files: fds.length, bytes });
  say(`${Reply.held} ${bytes}`);
}

function letGo(): void {
  for (const fd of held.splice(0)) close(fd);
  device.close();
  close(pidfd);
}

/** Waits for the owner's death (true) or its `release` (false). */
function watch(): boolean {
  const set = new PollSet([pidfd, 0], C.POLLIN);
  const buffer = new Uint8Array(4096);
  const decoder = new TextDecoder();
  let pending = "";
  for (;;) {
    if (set.wait(-1) === 0) continue;
    if (set.revents(0) !== 0) return true;
    if (set.revents(1) === 0) continue;
    const n = read(0, buffer);
    if (n <= 0) return true; // the owner's end of the pipe closed without a release
    pending += decoder.decode(buffer.subarray(0, n), { stream: true });
    let newline = pending.indexOf("\n");
    while (newline >= 0) {
      const line = pending.slice(0, newline).trim();
      pending = pending.slice(newline + 1);
      if (line === "release") return false;
      if (line !== "") hold(line);
      newline = pending.indexOf("\n");
    }
  }
}

say(Reply.ready);
log("started", { owner: config.owner, device: config.device, stop: config.stop });
if (!watch()) {
  letGo();
  log("released-by-owner");
  process.exit(0);
}
log("owner-gone", { owner: config.owner });
let code = 0;
try {
  const command = device.clearBusMaster();
  log("bus-master-cleared", { command });
  log("device-stopped", { how: runStopHook(config.stop, device.registers) });
} catch (e) {
  // The memory is kept no longer than the stop takes: a device that does not confirm is logged,
  // and its memory still goes (holding it forever would leak it with no one left to free it).
  log("device-stopped", { failed: (e as Error).message });
  code = 1;
}
const files = held.length;
letGo();
log("memory-released", { files });
process.exit(code);
