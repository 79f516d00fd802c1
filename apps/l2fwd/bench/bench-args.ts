/*
 * Command-line helpers of the benchmark scripts: values are checked at the edge (zod), and a
 * bad one is one sentence naming the flag and what it accepts, exit 2, as in every CLI of the
 * project.
 */
import { parseArgs } from "node:util";
import { issueSentence, optionErrorSentence } from "@dataplane/sys";
import { z } from "zod";

/** `<tool>: <sentence>; see <help>`, exit 2. */
export function usageError(tool: string, help: string, sentence: string): never {
  console.error(`${tool}: ${sentence}; see ${help}`);
  process.exit(2);
}

/** A decimal number, or NaN (so that "abc", "" and "1e3x" are refused, not read as 0). */
const decimal = (s: string) => (/^\s*\d+(\.\d+)?\s*$/.test(s) ? Number(s) : Number.NaN);

/** A number flag in [min, max] (or (min, max] with `minExclusive`). */
export const numberIn = (flag: string, min: number, max: number, minExclusive = false) =>
  z.string().transform((s, ctx) => {
    const v = decimal(s);
    if (!Number.isFinite(v) || (minExclusive ? v <= min : v < min) || v > max) {
      ctx.addIssue({
        code: "custom",
        message: `${flag} must be a number ${minExclusive ? "more than" : "from"} ${min}${minExclusive ? " and at most" : " to"} ${max}, not ${JSON.stringify(s)}`,
      });
      return z.NEVER;
    }
    return v;
  });

/** A whole-number flag in [min, max]. */
export const intIn = (flag: string, min: number, max: number) =>
  numberIn(flag, min, max).refine(Number.isInteger, `${flag} must be a whole number`);

/** A comma-separated list of whole numbers, each in [min, max]. */
export const intList = (flag: string, min: number, max: number) =>
  z.string().transform((s, ctx) => {
    const list = s.split(",").map((v) => decimal(v));
    if (list.some((v) => !Number.isInteger(v) || v < min || v > max)) {
      ctx.addIssue({
        code: "custom",
        message: `${flag} must be a comma-separated list of whole numbers from ${min} to ${max}, not ${JSON.stringify(s)}`,
      });
      return z.NEVER;
    }
    return list;
  });

/**
 * Parses `argv` with string options `names` (plus -h/--help, which prints `usage` and exits 0)
 * and validates them with `schema`; any mistake is one line and exit 2.
 */
export function parseBenchArgs<S extends z.ZodType>(
  tool: string,
  usage: string,
  argv: readonly string[],
  names: readonly string[],
  schema: S,
): z.output<S> {
  const help = `bun run ${tool} --help`;
  let values: Record<string, string | boolean | undefined>;
  try {
    values = parseArgs({
      args: [...argv],
      options: {
        ...Object.fromEntries(names.map((n) => [n, { type: "string" as const }])),
        help: { type: "boolean", short: "h" },
      },
      strict: true,
    }).values;
  } catch (e) {
    usageError(tool, help, optionErrorSentence(e, [...names.map((n) => `--${n}`), "--help"]));
  }
  if (values.help === true) {
    console.log(usage);
    process.exit(0);
  }
  const parsed = schema.safeParse({ ...values, help: undefined });
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    usageError(
      tool,
      help,
      issue?.code === "custom"
        ? issue.message
        : issueSentence(parsed.error.issues, (path) => `--${String(path[0])}`),
    );
  }
  return parsed.data;
}
