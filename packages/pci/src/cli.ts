#!/usr/bin/env bun
/*
 * `pci list [--json] [--all] [--root <dir>] [--vfio-dir <dir>]`: shows each network
 * device (or every function with --all) and what can drive it. Exit codes: 0 success,
 * 1 failure (e.g. unreadable sysfs), 2 usage error.
 */
import { parseArgs } from "node:util";
import { optionErrorSentence, versionLine } from "@dataplane/sys";
import pkg from "../package.json" with { type: "json" };
import { deviceAccess } from "./access.ts";
import { DEFAULT_SYSFS_ROOT } from "./address.ts";
import { isNetworkDevice, listDevices } from "./device.ts";
import { renderJson, renderText } from "./report.ts";

const USAGE = `usage: pci list [--json] [--all] [--root <dir>] [--vfio-dir <dir>]

Lists PCI network devices (class 0x02) and how each can be driven from user space:
  vfio    IOMMU group present and /dev/vfio/<group> exists (kernel VFIO)
  sysfs   no IOMMU, running as root, resource0 present (physical DMA addresses)
  kernel  the kernel driver currently bound

options:
  --json            print JSON instead of a table
  --all             list every PCI function, not only network devices
  --root <dir>      sysfs device directory to read (default ${DEFAULT_SYSFS_ROOT})
  --vfio-dir <dir>  where VFIO group nodes live (default /dev/vfio)
  -h, --help        show this help
  -V, --version     print the version
`;

const FLAGS = ["--json", "--all", "--root", "--vfio-dir", "--help", "--version"];

interface Output {
  out(text: string): void;
  err(text: string): void;
}

/** Runs the CLI on `argv` (without the program name); returns the exit code. */
export function main(argv: readonly string[], io: Output): number {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(argv);
  } catch (e) {
    io.err(`pci: ${optionErrorSentence(e, FLAGS)}; see pci --help\n`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    io.out(USAGE);
    return 0;
  }
  if (values.version) {
    io.out(`${versionLine("pci", pkg.version)}\n`);
    return 0;
  }
  if (positionals.length !== 1 || positionals[0] !== "list") {
    const what =
      positionals.length === 0 ? "missing command" : `unknown command "${positionals.join(" ")}"`;
    io.err(`pci: ${what}\n\n${USAGE}`);
    return 2;
  }
  const root = values.root ?? DEFAULT_SYSFS_ROOT;
  try {
    const all = listDevices({ root });
    const shown = values.all ? all : all.filter(isNetworkDevice);
    const entries = shown.map((info) => ({
      info,
      access: deviceAccess(info, { vfioDir: values["vfio-dir"] }),
    }));
    const kind = values.all ? "PCI devices" : "network devices";
    if (values.json) io.out(renderJson(entries));
    if (entries.length === 0) {
      (values.json ? io.err : io.out)(`no ${kind} found under ${root}\n`);
    } else if (!values.json) {
      io.out(renderText(entries, `${values.all ? "PCI" : "Network"} devices under ${root}:`));
    }
    return 0;
  } catch (e) {
    io.err(`pci: ${(e as Error).message}\n`);
    return 1;
  }
}

function parse(argv: readonly string[]) {
  return parseArgs({
    args: [...argv],
    allowPositionals: true,
    strict: true,
    options: {
      json: { type: "boolean" },
      all: { type: "boolean" },
      root: { type: "string" },
      "vfio-dir": { type: "string" },
      help: { type: "boolean", short: "h" },
      version: { type: "boolean", short: "V" },
    },
  });
}

if (import.meta.main) {
  const code = main(process.argv.slice(2), {
    out: (text) => process.stdout.write(text),
    err: (text) => process.stderr.write(text),
  });
  process.exitCode = code;
}
