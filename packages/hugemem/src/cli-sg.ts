/*
 * bunx hugemem sg <pid|self> <address> <bytes> [--page 2M|1G] [--lock] [--json]
 * The SG list of an existing range of this or another process, every page checked.
 */
import { pageOption, parseOptions, sizeArgument, UsageError } from "./cli-args.ts";
import { segmentLines, segmentsJson } from "./cli-report.ts";
import { rangeSegments } from "./range.ts";

const KNOWN = { "--page": "value", "--lock": "flag", "--json": "flag" } as const;

/** Runs `sg`; returns the exit code. */
export function runSg(args: readonly string[]): number {
  const { options, rest } = parseOptions(args, KNOWN);
  if (rest.length !== 3) {
    throw new UsageError(
      "sg takes <pid|self> <hex-address> <bytes>, e.g. sg 1234 0x7f0000000000 64M",
    );
  }
  const [pidText = "", addressText = "", bytesText = ""] = rest;
  let pid: number | "self" = "self";
  if (pidText !== "self") {
    if (!/^[1-9][0-9]*$/.test(pidText))
      throw new UsageError(`pid "${pidText}" is not a number or "self"`);
    pid = Number(pidText);
  }
  if (!/^0x[0-9a-f]+$/i.test(addressText)) {
    throw new UsageError(`address "${addressText}" is not hexadecimal (0x...)`);
  }
  const address = Number.parseInt(addressText.slice(2), 16);
  const bytes = sizeArgument(bytesText, "bytes");
  const segments = rangeSegments(address, bytes, {
    pid,
    pageSize: pageOption(options.get("--page"), "--page"),
    lock: options.has("--lock"),
  });
  if (options.has("--json")) console.log(JSON.stringify(segmentsJson(segments)));
  else for (const line of segmentLines(segments)) console.log(line);
  return 0;
}
