/* Argument helpers shared by the hugemem CLI commands. */
import { parseSizeText } from "./size.ts";

/** A usage error: the CLI prints it with the usage text and exits 2. */
export class UsageError extends Error {}

/** Splits `args` into flags (each must be in `known`; some take a value) and positionals. */
export function parseOptions(
  args: readonly string[],
  known: Readonly<Record<string, "flag" | "value">>,
): { options: Map<string, string>; rest: string[] } {
  const options = new Map<string, string>();
  const rest: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i] as string;
    if (!a.startsWith("--")) {
      rest.push(a);
      continue;
    }
    const kind = known[a];
    if (kind === undefined) throw new UsageError(`unknown option ${a}`);
    if (kind === "flag") {
      options.set(a, "");
      continue;
    }
    const v = args[++i];
    if (v === undefined) throw new UsageError(`${a} needs a value`);
    options.set(a, v);
  }
  return { options, rest };
}

/** A page size option: 2M or 1G. */
export function pageOption(value: string | undefined, name: string): "2M" | "1G" {
  if (value === undefined) return "2M";
  if (value !== "2M" && value !== "1G")
    throw new UsageError(`${name} takes 2M or 1G, not ${value}`);
  return value;
}

/** A byte count such as 512M, 64G, 4096 (suffixes K, M, G are binary). */
export function sizeArgument(text: string | undefined, what: string): number {
  const bytes = text === undefined ? Number.NaN : parseSizeText(text);
  if (!Number.isSafeInteger(bytes) || bytes <= 0) {
    throw new UsageError(`${what} "${text ?? ""}" is not a size; write e.g. 512M, 64G or 4096`);
  }
  return bytes;
}
