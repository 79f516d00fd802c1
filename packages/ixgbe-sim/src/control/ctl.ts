/*
 * `ixgbe-sim ctl [PORT] COMMAND [ARGS] [--json] [--socket-dir DIR]`: turns a command line into
 * one control request. Positional arguments map onto each command's named ones (below); any
 * argument may also be given as key=value. Exit 0 on success, 1 on an error reply, 2 on usage.
 */
import { parseArgs } from "node:util";
import { DEFAULT_SOCKET_DIR } from "../runtime/options.ts";
import { ControlClient, type ControlRequest } from "./client.ts";

/** Names of the positional arguments of each command, in order ("..." collects the rest). */
const POSITIONAL: Readonly<Record<string, readonly string[]>> = {
  "link-up": ["delayMs"],
  "link-flap": ["ms"],
  "dma-fault": ["count", "...targets"],
  malformed: ["kind", "direction", "queue", "count"],
  "crc-errors": ["count"],
  inject: ["...frames"],
  step: ["count"],
  advance: ["ms"],
  peek: ["...offsets"],
};

function value(text: string): unknown {
  return /^-?\d+(\.\d+)?$/.test(text) ? Number(text) : text;
}

/** Builds the request from positionals; returns an error text for bad usage. */
export function ctlRequest(positionals: readonly string[]): ControlRequest | string {
  let rest = [...positionals];
  let port: number | undefined;
  if (rest[0] !== undefined && /^\d+$/.test(rest[0])) {
    port = Number(rest[0]);
    rest = rest.slice(1);
  } else if (rest[0] === "all") {
    rest = rest.slice(1);
  }
  const cmd = rest[0];
  if (cmd === undefined) return "give a command (ixgbe-sim ctl help lists them)";
  const args: Record<string, unknown> = {};
  const names = POSITIONAL[cmd] ?? [];
  let i = 0;
  for (const text of rest.slice(1)) {
    const eq = text.indexOf("=");
    if (eq > 0) {
      const v = text.slice(eq + 1);
      const key = text.slice(0, eq);
      args[key] =
        key === "targets" || key === "frames" || key === "offsets" ? v.split(",") : value(v);
      continue;
    }
    const name = names[Math.min(i, names.length - 1)];
    if (name === undefined) return `${cmd} takes no positional argument ("${text}")`;
    if (name.startsWith("...")) {
      const key = name.slice(3);
      args[key] = [...((args[key] as unknown[]) ?? []), text];
    } else if (i < names.length) {
      args[name] = value(text);
    } else {
      return `too many arguments for ${cmd}`;
    }
    i++;
  }
  return { cmd, ...(port === undefined ? {} : { port }), args };
}

/** Runs the ctl subcommand; returns the exit code. */
export async function runCtl(argv: string[]): Promise<number> {
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: true,
      options: { json: { type: "boolean" }, "socket-dir": { type: "string" } },
    });
  } catch (e) {
    process.stderr.write(`ixgbe-sim ctl: ${(e as Error).message}\n`);
    return 2;
  }
  const req = ctlRequest(parsed.positionals);
  if (typeof req === "string") {
    process.stderr.write(`ixgbe-sim ctl: ${req}\n`);
    return 2;
  }
  const dir = (parsed.values["socket-dir"] as string | undefined) ?? DEFAULT_SOCKET_DIR;
  let reply: ReturnType<ControlClient["send"]>;
  try {
    using client = new ControlClient(`${dir}/control.sock`);
    reply = client.send(req);
  } catch (e) {
    process.stderr.write(`ixgbe-sim ctl: ${(e as Error).message}\n`);
    return 1;
  }
  const json = parsed.values.json === true;
  if (!reply.ok) {
    if (json) process.stdout.write(`${JSON.stringify(reply)}\n`);
    process.stderr.write(`ixgbe-sim ctl: ${reply.error.message} (${reply.error.code})\n`);
    return 1;
  }
  process.stdout.write(
    `${json ? JSON.stringify(reply.result) : JSON.stringify(reply.result, null, 2)}\n`,
  );
  return 0;
}
