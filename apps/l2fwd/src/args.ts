/*
 * Command line and config file -> one validated L2fwdConfig. Flags win over the file. Every
 * mistake becomes an L2fwdError (USAGE or CONFIG_FILE, exit status 2) naming the flag or key.
 */
import { readFileSync } from "node:fs";
import { extname } from "node:path";
import { parseArgs } from "node:util";
import { parse as parseYaml } from "yaml";
import type { z } from "zod";
import { ConfigSchema, type L2fwdConfig, resolveConfig, splitWireList } from "./config.ts";
import { L2fwdError } from "./errors.ts";

/** What the command line asks for. */
export type Command =
  | { readonly kind: "help" }
  | { readonly kind: "version" }
  | { readonly kind: "run"; readonly config: L2fwdConfig }
  | { readonly kind: "print-config"; readonly config: L2fwdConfig };

// Flag name -> config key. Numbers arrive as strings and are converted before validation.
const FLAG_KEYS = {
  batch: "batch",
  ring: "ringSize",
  queues: "queues",
  mode: "mode",
  duration: "duration",
  interval: "interval",
  json: "json",
  quiet: "quiet",
  promisc: "promisc",
  workers: "workers",
  pin: "pin",
} as const;
const NUMERIC = new Set(["batch", "ringSize", "queues", "duration", "interval"]);
const SIM_FLAGS = { "sim-rate": "rate", "sim-size": "size", "sim-flows": "flows" } as const;

const OPTIONS = {
  batch: { type: "string", short: "b" },
  ring: { type: "string", short: "r" },
  queues: { type: "string", short: "q" },
  mode: { type: "string", short: "m" },
  duration: { type: "string", short: "d" },
  interval: { type: "string", short: "i" },
  json: { type: "boolean" },
  quiet: { type: "boolean" },
  promisc: { type: "boolean" },
  workers: { type: "string" },
  pin: { type: "boolean" },
  config: { type: "string", short: "c" },
  "sim-wire": { type: "string", multiple: true },
  "sim-rate": { type: "string" },
  "sim-size": { type: "string" },
  "sim-flows": { type: "string" },
  "sim-process-per-port": { type: "boolean" },
  "print-config": { type: "boolean" },
  help: { type: "boolean", short: "h" },
  version: { type: "boolean", short: "V" },
} as const;

/** Every long flag, for messages. */
export const FLAG_NAMES = Object.keys(OPTIONS).map((k) => `--${k}`);

type Raw = Record<string, unknown>;

/** Parses argv (without the runtime and script) into a command. Throws L2fwdError. */
export function parseCommandLine(argv: readonly string[]): Command {
  let parsed: ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true }>>;
  try {
    parsed = parseArgs({
      args: [...argv],
      options: OPTIONS,
      allowPositionals: true,
      strict: true,
      allowNegative: true,
    } as { options: typeof OPTIONS; allowPositionals: true });
  } catch (e) {
    throw new L2fwdError(
      "USAGE",
      `${usageMessage(e as Error & { code?: string })}; see l2fwd --help`,
    );
  }
  const { values, positionals } = parsed;
  if (values.help) return { kind: "help" };
  if (values.version) return { kind: "version" };

  const fromFlags = new Set<string>();
  const flags: Raw = {};
  for (const [flag, key] of Object.entries(FLAG_KEYS)) {
    const v = values[flag as keyof typeof values];
    if (v === undefined) continue;
    flags[key] = NUMERIC.has(key) ? toNumber(v as string) : v;
    fromFlags.add(key);
  }
  if (positionals.length > 0) {
    flags.devices = positionals;
    fromFlags.add("devices");
  }
  const sim: Raw = {};
  if (values["sim-wire"]) sim.wires = values["sim-wire"].flatMap(splitWireList);
  for (const [flag, key] of Object.entries(SIM_FLAGS)) {
    const v = values[flag as keyof typeof values];
    if (v !== undefined) sim[key] = toNumber(v as string);
  }
  if (values["sim-process-per-port"] !== undefined) {
    sim.processPerPort = values["sim-process-per-port"];
  }
  if (Object.keys(sim).length > 0) {
    flags.sim = sim;
    fromFlags.add("sim");
  }

  const file = values.config === undefined ? {} : loadConfigFile(values.config);
  const config = buildConfig(file, flags, fromFlags, values.config);
  return { kind: values["print-config"] ? "print-config" : "run", config };
}

/**
 * Merges a config file's object with flag values (flags win; `sim` merged key by key),
 * validates and resolves. `fromFlags` lists the top-level keys the flags set.
 */
export function buildConfig(
  file: Raw,
  flags: Raw,
  fromFlags: ReadonlySet<string>,
  path?: string,
): L2fwdConfig {
  const merged: Raw = { ...file, ...flags };
  if (isPlainObject(file.sim) && isPlainObject(flags.sim))
    merged.sim = { ...file.sim, ...flags.sim };
  const r = ConfigSchema.safeParse(merged);
  if (!r.success) {
    const lines = r.error.issues.map((iss) => describeIssue(iss, fromFlags, path));
    throw new L2fwdError("USAGE", lines.join("\n"));
  }
  const config = resolveConfig(r.data);
  if (typeof config === "string") throw new L2fwdError("USAGE", config);
  return config;
}

/** Reads a .json, .yaml or .yml config file into a plain object. Throws CONFIG_FILE. */
export function loadConfigFile(path: string): Raw {
  const ext = extname(path).toLowerCase();
  if (ext !== ".json" && ext !== ".yaml" && ext !== ".yml") {
    throw new L2fwdError(
      "CONFIG_FILE",
      `config file ${path}: unknown extension ${JSON.stringify(ext)}; use .json, .yaml or .yml`,
    );
  }
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (cause) {
    throw new L2fwdError(
      "CONFIG_FILE",
      `config file ${path} cannot be read: ${(cause as Error).message}`,
      { cause },
    );
  }
  let value: unknown;
  try {
    value = ext === ".json" ? JSON.parse(text) : parseYaml(text);
  } catch (cause) {
    throw new L2fwdError(
      "CONFIG_FILE",
      `config file ${path} is not valid ${ext === ".json" ? "JSON" : "YAML"}: ${(cause as Error).message}`,
      { cause },
    );
  }
  if (value === null || value === undefined) return {};
  if (!isPlainObject(value)) {
    throw new L2fwdError(
      "CONFIG_FILE",
      `config file ${path} must hold a mapping of keys (batch: 32, ...), not ${Array.isArray(value) ? "a list" : typeof value}`,
    );
  }
  return value;
}

function describeIssue(
  iss: z.core.$ZodIssue,
  fromFlags: ReadonlySet<string>,
  path?: string,
): string {
  const top = String(iss.path[0] ?? "");
  const where =
    top !== "" && fromFlags.has(top)
      ? "command line"
      : path
        ? `config file ${path}`
        : "configuration";
  if (iss.code === "unrecognized_keys") {
    const at = iss.path.length > 0 ? `${iss.path.join(".")}.` : "";
    const valid = validKeys(iss.path.map(String));
    return `${where}: unknown key ${iss.keys.map((k) => `"${at}${k}"`).join(", ")}; valid keys: ${valid.join(", ")}`;
  }
  const key = iss.path.join(".");
  return `${where}: ${iss.message.startsWith(top) || key === "" ? iss.message : `${key}: ${iss.message}`}${flagHint(top, where)}`;
}

function validKeys(path: string[]): string[] {
  if (path[0] === "sim") return ["wires", "rate", "size", "flows"];
  return Object.keys(ConfigSchema.shape);
}

function flagHint(key: string, where: string): string {
  if (where !== "command line") return "";
  const flag = Object.entries(FLAG_KEYS).find(([, k]) => k === key)?.[0];
  return flag && flag !== key ? ` (flag --${flag})` : "";
}

function usageMessage(e: Error & { code?: string }): string {
  const m = /'(-[^']*)'/.exec(e.message);
  const name = m ? m[1] : "";
  if (e.code === "ERR_PARSE_ARGS_UNKNOWN_OPTION") {
    return `unknown option ${name}; valid options: ${FLAG_NAMES.join(" ")}`;
  }
  if (e.code === "ERR_PARSE_ARGS_INVALID_OPTION_VALUE") {
    const first = (e.message.split("\n")[0] as string).replace(/\.$/, "");
    // parseArgs calls "--duration -1" ambiguous: a value starting with "-" needs the = form.
    const flag = name.split(",").pop()?.trim().split(" ")[0] ?? name;
    return /ambiguous/.test(first)
      ? `${first}: write a value that starts with "-" as ${flag}=VALUE`
      : first;
  }
  return e.message;
}

// "32" -> 32; anything that is not a plain decimal number stays a string, so the schema's
// message shows exactly what was typed.
function toNumber(s: string): number | string {
  const t = s.trim();
  return t !== "" && /^[-+]?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?$/i.test(t) ? Number(t) : s;
}

function isPlainObject(v: unknown): v is Raw {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}
