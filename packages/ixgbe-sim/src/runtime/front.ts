/*
 * --process-per-port: one simulator process per port, each with its own device loop, so the
 * ports' datapaths run on as many cores as there are ports instead of sharing one. This
 * process is only the front: it starts the port processes (`--ports 1 --port-base N`, each
 * serving p<N>.sock and its sysfs directory itself), prints one ready line for all of them,
 * and answers the control socket by passing each request on: a request about port N goes to
 * port N's process, a request about the whole simulator goes to every process and the
 * per-port parts of the replies are joined in port order. Clients never talk to the front:
 * their vfio-user sockets and sysfs BARs belong to the port processes.
 *
 * A port process that exits on its own takes the whole simulator down (the front stops the
 * others and exits 1), so a harness never measures a simulator with a port missing.
 */
import { existsSync, mkdirSync, readdirSync, rmdirSync, rmSync } from "node:fs";
import { ControlClient } from "../control/client.ts";
import { ControlServer } from "../control/server.ts";
import { controlPathOf, macOf, type SimOptions, wireOf } from "./options.ts";
import { readyLine } from "./ready-line.ts";
import type { ReadyInfo, ReadyPort } from "./sim.ts";

const CLI = new URL("../cli.ts", import.meta.url).pathname;
const START_TIMEOUT_MS = 20_000;
const STOP_TIMEOUT_MS = 3000;
/** How long one pass of the front's loop waits on the control socket. */
const POLL_MS = 50;

/** One port's process. */
interface PortProcess {
  readonly port: number;
  readonly proc: Bun.Subprocess<"ignore", "pipe", "inherit">;
  readonly controlPath: string;
  client: ControlClient | null;
}

/** The front's ready line: the usual one, plus which process serves which port. */
export interface FrontReadyInfo extends ReadyInfo {
  readonly processes: readonly { readonly port: number; readonly pid: number }[];
}

/** The control socket of the process serving the front's `i`-th port. */
function portControlPath(o: SimOptions, i: number): string {
  return `${o.socketDir}/.control-p${o.portBase + i}.sock`;
}

/** Command-line arguments of the process serving the front's `i`-th port. */
export function portProcessArgs(o: SimOptions, i: number): string[] {
  const args = [
    "--ports",
    "1",
    "--port-base",
    String(o.portBase + i),
    "--wire",
    wireOf(o, i),
    "--mac",
    macOf(o, i),
    "--socket-dir",
    o.socketDir,
    "--control-socket",
    portControlPath(o, i),
    "--exit-with-parent",
    "--link-delay",
    String(o.linkDelayMs),
    "--queues",
    String(o.queues),
    "--reset-ms",
    String(o.resetMs),
    "--auto-read-ms",
    String(o.autoReadMs),
    "--dma-init-ms",
    String(o.dmaInitMs),
  ];
  if (o.sysfs !== null) args.push("--sysfs", o.sysfs);
  if (o.pin !== null) args.push("--pin", String(o.pin + i));
  if (o.lenient) args.push("--lenient");
  if (o.strictFatal) args.push("--strict-fatal");
  return args;
}

/** A request as far as the front needs to read it. */
interface Routed {
  readonly id?: unknown;
  readonly port?: unknown;
}

/** The port processes of one simulator and the control socket in front of them. */
export class PortProcesses {
  private readonly children: PortProcess[] = [];
  private readonly createdDirs: string[] = [];
  private server: ControlServer | null = null;
  private readyPorts: ReadyPort[] = [];

  constructor(
    private readonly o: SimOptions,
    private readonly log: (line: string) => void,
  ) {}

  /** Starts every port process and the control socket; on failure stops what started. */
  async start(): Promise<FrontReadyInfo> {
    try {
      this.makeDir(this.o.socketDir);
      if (this.o.ownSocketDir && !this.createdDirs.includes(this.o.socketDir)) {
        this.createdDirs.push(this.o.socketDir);
      }
      if (this.o.sysfs !== null) this.makeDir(this.o.sysfs);
      for (let i = 0; i < this.o.ports; i++) {
        const proc = Bun.spawn([process.execPath, CLI, ...portProcessArgs(this.o, i)], {
          stdin: "ignore",
          stdout: "pipe",
          stderr: "inherit",
        });
        this.children.push({
          port: i,
          proc,
          controlPath: portControlPath(this.o, i),
          client: null,
        });
      }
      for (const c of this.children) {
        const info = await readyLine(c.proc, START_TIMEOUT_MS, () => "");
        this.readyPorts.push(...info.ports);
      }
      this.server = new ControlServer(controlPathOf(this.o), (line) => this.route(line), this.log);
    } catch (e) {
      await this.stop();
      throw e;
    }
    return {
      ready: true,
      pid: process.pid,
      ports: this.readyPorts,
      control: (this.server as ControlServer).path,
      processes: this.children.map((c) => ({ port: c.port, pid: c.proc.pid })),
    };
  }

  /** Serves control requests for up to POLL_MS. */
  poll(): void {
    this.server?.poll(POLL_MS);
  }

  /** The first port process that exited on its own, with its code; null while all run. */
  exited(): { port: number; code: number } | null {
    for (const c of this.children) {
      if (c.proc.exitCode !== null) return { port: c.port, code: c.proc.exitCode };
      if (c.proc.signalCode !== null) return { port: c.port, code: 128 };
    }
    return null;
  }

  /**
   * Stops every port process (SIGTERM, SIGKILL after STOP_TIMEOUT_MS), closes the control
   * socket and removes the directories the front made. True when every process exited 0.
   */
  async stop(): Promise<boolean> {
    let clean = true;
    for (const c of this.children) c.client?.close();
    for (const c of this.children) if (c.proc.exitCode === null) c.proc.kill("SIGTERM");
    for (const c of this.children) {
      const timer = setTimeout(() => c.proc.kill("SIGKILL"), STOP_TIMEOUT_MS);
      const code = await c.proc.exited;
      clearTimeout(timer);
      if (code !== 0) {
        clean = false;
        this.log(`port ${c.port}'s process ${c.proc.pid} exited with code ${code}`);
        this.removeLeftovers(c);
      }
    }
    this.server?.close();
    for (const dir of this.createdDirs.reverse()) {
      if (existsSync(dir) && readdirSync(dir).length === 0) rmdirSync(dir);
    }
    this.createdDirs.length = 0;
    return clean;
  }

  /**
   * One control line: to the port's process when the request names a port, else to every
   * process with the per-port parts of the replies joined. Never throws.
   */
  private route(line: string): string {
    let req: Routed;
    try {
      req = JSON.parse(line) as Routed;
    } catch {
      return this.pass(this.children[0] as PortProcess, line); // its error reply says why
    }
    if (req === null || typeof req !== "object" || Array.isArray(req)) {
      return this.pass(this.children[0] as PortProcess, line);
    }
    if (typeof req.port === "number") {
      const child = this.children[req.port];
      if (child === undefined || !Number.isInteger(req.port)) {
        return reply(req.id, {
          ok: false,
          error: {
            code: "NO_PORT",
            message: `port ${req.port} does not exist; ports are 0..${this.children.length - 1}`,
          },
        });
      }
      return this.pass(child, JSON.stringify({ ...req, port: 0 }));
    }
    const replies = this.children.map((c) => this.pass(c, line));
    const parsed = replies.map((r) => JSON.parse(r) as Reply);
    const first = parsed[0] as Reply;
    const failed = parsed.find((r) => r.ok !== true);
    if (failed !== undefined) return JSON.stringify(failed);
    if (!parsed.every((r) => hasPorts(r.result))) return replies[0] as string;
    const ports = parsed.flatMap((r) => (r.result as { ports: unknown[] }).ports);
    return JSON.stringify({ ...first, result: { ...(first.result as object), ports } });
  }

  /** Sends one line to a port's process and returns its reply line. */
  private pass(c: PortProcess, line: string): string {
    try {
      c.client ??= new ControlClient(c.controlPath);
      const r = c.client.sendLine(line);
      return JSON.stringify(r);
    } catch (e) {
      c.client?.close();
      c.client = null;
      let id: unknown;
      try {
        id = (JSON.parse(line) as Routed).id;
      } catch {
        id = undefined;
      }
      return reply(id, {
        ok: false,
        error: {
          code: "PORT_PROCESS",
          message: `port ${c.port}'s process did not answer: ${(e as Error).message}`,
        },
      });
    }
  }

  /** What a port process that was killed could not remove: its sockets and sysfs directory. */
  private removeLeftovers(c: PortProcess): void {
    const port = this.o.portBase + c.port;
    rmSync(`${this.o.socketDir}/p${port}.sock`, { force: true });
    rmSync(c.controlPath, { force: true });
    const served = this.readyPorts.find((p) => p.port === port);
    if (served?.sysfs !== undefined) {
      rmSync(served.sysfs.slice("sysfs:".length), { recursive: true, force: true });
    }
  }

  private makeDir(dir: string): void {
    if (existsSync(dir)) return;
    mkdirSync(dir, { recursive: true, mode: 0o755 });
    this.createdDirs.push(dir);
  }
}

interface Reply {
  readonly ok: boolean;
  readonly result?: unknown;
}

function hasPorts(result: unknown): boolean {
  return (
    typeof result === "object" &&
    result !== null &&
    Array.isArray((result as { ports?: unknown }).ports)
  );
}

function reply(id: unknown, body: Record<string, unknown>): string {
  const withId = typeof id === "string" || typeof id === "number" ? { id } : {};
  return JSON.stringify({ ...withId, ...body });
}
