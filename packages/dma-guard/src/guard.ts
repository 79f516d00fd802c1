/*
 * DmaGuard: the owner's side of the guardian. start() spawns the guardian for a device, hold()
 * hands it references to DMA memory, release() ends it after the owner stopped the device
 * itself. If the owner dies first, the guardian stops the device before the memory can go.
 */
import { join } from "node:path";
import { type GuardianConfig, Reply } from "./config.ts";
import { deviceDir } from "./device.ts";
import { DmaGuardError } from "./errors.ts";
import { STOP_HOOKS, type StopHook } from "./stop-hooks.ts";

const GUARDIAN = join(import.meta.dir, "guardian.ts");

/** Options of DmaGuard.start(). */
export interface DmaGuardOptions {
  /** The device: `sysfs:<dir>`, a PCI address (0000:03:00.0) or a device directory. */
  readonly device: string;
  /** What stops the device after Bus Master Enable is cleared: "82599" (CTRL.RST) or "none". */
  readonly stop?: StopHook;
  /** A file the guardian appends its events to (JSON lines), for audits and tests. */
  readonly log?: string;
  /** How long to wait for the guardian to come up, ms. Default 10000. */
  readonly startTimeoutMs?: number;
}

/** Memory the guardian can hold: anything with a file behind it (memfd, hugetlbfs). */
export interface HoldableMemory {
  readonly fd: number;
}

type Child = Bun.Subprocess<"pipe", "pipe", "inherit">;

/** A running guardian for one device. */
export class DmaGuard {
  private readonly lines: AsyncIterator<string>;
  private done = false;

  private constructor(private readonly child: Child) {
    this.lines = readLines(child.stdout);
  }

  /** The guardian's pid. */
  get pid(): number {
    return this.child.pid;
  }

  /**
   * Starts a guardian watching this process and holding `device` (its config, and BAR0 for a
   * stop hook). Start it after the device is open (a sysfs-style model takes the first process
   * that maps BAR0 for its driver). Throws DmaGuardError BAD_ARGUMENT, START_FAILED, NO_DEVICE.
   */
  static async start(options: DmaGuardOptions): Promise<DmaGuard> {
    const stop = options.stop ?? "none";
    if (!STOP_HOOKS.includes(stop)) {
      throw new DmaGuardError(
        "BAD_ARGUMENT",
        `stop hook "${stop}" is not one of ${STOP_HOOKS.join(", ")}`,
      );
    }
    const config: GuardianConfig = {
      owner: process.pid,
      device: deviceDir(options.device),
      stop,
      log: options.log ?? null,
    };
    const child = Bun.spawn([process.execPath, GUARDIAN, JSON.stringify(config)], {
      stdin: "pipe",
      stdout: "pipe",
      stderr: "inherit",
    });
    const guard = new DmaGuard(child);
    const first = await guard.reply(options.startTimeoutMs ?? 10_000).catch((e: unknown) => {
      child.kill("SIGKILL");
      throw e;
    });
    if (first !== Reply.ready) {
      await child.exited;
      const why = first.startsWith(Reply.error) ? first.slice(Reply.error.length + 1) : first;
      throw new DmaGuardError(
        why.includes("cannot open") ? "NO_DEVICE" : "START_FAILED",
        `the guardian did not start: ${why}`,
      );
    }
    return guard;
  }

  /** Hands the guardian a reference to `memory` (its fd); resolves to the bytes it now holds from it. */
  hold(memory: HoldableMemory): Promise<number> {
    if (!Number.isInteger(memory.fd) || memory.fd < 0) {
      throw new DmaGuardError(
        "BAD_ARGUMENT",
        "the memory has no fd (anonymous memory cannot be held by another process); allocate it with backing memfd or hugetlbfs",
      );
    }
    return this.command(`hold-fd ${memory.fd}`);
  }

  /**
   * Hands the guardian every shared hugepage mapping this process has now (a driver's rings and
   * buffers included, whoever allocated them); resolves to the bytes held. Needs root.
   */
  holdHugeMappings(): Promise<number> {
    return this.command("hold-maps");
  }

  /**
   * The owner stopped the device itself (closed its driver): the guardian lets go of the memory
   * and the device without touching it, and exits. Idempotent.
   */
  async release(): Promise<void> {
    if (this.done) return;
    this.done = true;
    this.child.stdin.write("release\n");
    this.child.stdin.end();
    await this.child.exited;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.release();
  }

  private async command(line: string): Promise<number> {
    if (this.done) throw new DmaGuardError("GONE", "the guardian was released; start a new one");
    this.child.stdin.write(`${line}\n`);
    this.child.stdin.flush();
    const reply = await this.reply(10_000);
    if (reply.startsWith(`${Reply.held} `)) return Number(reply.slice(Reply.held.length + 1));
    throw new DmaGuardError(
      "HOLD_FAILED",
      `the guardian could not hold the memory: ${reply.replace(/^error /, "")}; it needs root to open another process's fds`,
    );
  }

  private async reply(timeoutMs: number): Promise<string> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new DmaGuardError("START_FAILED", `the guardian did not answer within ${timeoutMs} ms`),
          ),
        timeoutMs,
      );
    });
    try {
      const next = await Promise.race([this.lines.next(), timeout]);
      if (next.done === true) throw new DmaGuardError("GONE", "the guardian exited");
      return next.value;
    } finally {
      clearTimeout(timer);
    }
  }
}

async function* readLines(stream: ReadableStream<Uint8Array>): AsyncGenerator<string> {
  const decoder = new TextDecoder();
  let pending = "";
  for await (const chunk of stream) {
    pending += decoder.decode(chunk, { stream: true });
    let newline = pending.indexOf("\n");
    while (newline >= 0) {
      yield pending.slice(0, newline);
      pending = pending.slice(newline + 1);
      newline = pending.indexOf("\n");
    }
  }
}
