/* Spawning the CLI in tests: run to completion, or wait for a line before signalling. */
import type { Subprocess } from "bun";

/** Repository paths the CLI tests use. */
export const APP_DIR = `${import.meta.dir}/../..`;

/** Runs `bun <args>` to the end; returns exit code and both streams. */
export async function runBun(
  args: string[],
  cwd = APP_DIR,
): Promise<{ code: number; out: string; err: string }> {
  const p = Bun.spawn([process.execPath, ...args], {
    cwd,
    stdout: "pipe",
    stderr: "pipe",
    env: { ...process.env, NO_COLOR: "1" },
  });
  const [out, err, code] = await Promise.all([
    new Response(p.stdout).text(),
    new Response(p.stderr).text(),
    p.exited,
  ]);
  return { code, out, err };
}

/** A running `bun <args>` whose stdout is collected as it arrives. */
export class Running {
  out = "";
  err = "";
  readonly proc: Subprocess<"ignore", "pipe", "pipe">;
  private readonly done: Promise<void>;

  constructor(args: string[], env: Record<string, string> = {}) {
    this.proc = Bun.spawn([process.execPath, ...args], {
      cwd: APP_DIR,
      stdin: "ignore",
      stdout: "pipe",
      stderr: "pipe",
      env: { ...process.env, ...env },
    });
    const pump = async (s: ReadableStream<Uint8Array>, key: "out" | "err") => {
      const d = new TextDecoder();
      for await (const chunk of s) this[key] += d.decode(chunk, { stream: true });
    };
    this.done = Promise.all([pump(this.proc.stdout, "out"), pump(this.proc.stderr, "err")]).then(
      () => {},
    );
  }

  /** Resolves once stdout contains `text` (or matches it); rejects after `ms`. */
  async waitFor(text: string | RegExp, ms = 20_000): Promise<void> {
    const end = Date.now() + ms;
    while (typeof text === "string" ? !this.out.includes(text) : !text.test(this.out)) {
      if (Date.now() > end)
        throw new Error(
          `timed out waiting for ${String(text)}; stdout: ${this.out}; stderr: ${this.err}`,
        );
      await Bun.sleep(10);
    }
  }

  /** Waits for the exit and the end of both streams; returns the exit code. */
  async exit(): Promise<number> {
    const code = await this.proc.exited;
    await this.done;
    return code;
  }

  /** Kills the process if it still runs (test cleanup). */
  kill(): void {
    if (this.proc.exitCode === null) this.proc.kill("SIGKILL");
  }
}
