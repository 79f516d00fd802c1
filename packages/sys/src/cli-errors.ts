/*
 * One error style for the command-line tools of the stack: a usage mistake becomes one sentence
 * that names the flag or key and what it accepts, printed as `<tool>: <sentence>` with exit
 * status 2. Validation libraries' and node:util parseArgs' own texts never reach the user.
 * The zod issue shape is described structurally here so that this package needs no zod.
 */

/** The parts of a zod (v4) issue the sentence uses. */
export interface ValidationIssue {
  readonly code: string;
  readonly path: readonly PropertyKey[];
  readonly message: string;
  readonly values?: readonly unknown[];
  readonly expected?: unknown;
  readonly minimum?: unknown;
  readonly maximum?: unknown;
  readonly inclusive?: boolean;
  readonly keys?: readonly string[];
}

/**
 * One sentence for the first of `issues` (validation stops being useful after the first
 * mistake a person must fix), naming the flag or key through `nameOf`, e.g.
 * `--ports must be at most 8` or `mode must be one of "touch", "mac", "pass"`.
 */
export function issueSentence(
  issues: readonly ValidationIssue[],
  nameOf: (path: readonly PropertyKey[]) => string = (path) => path.map(String).join("."),
): string {
  const issue = issues[0];
  if (issue === undefined) return "invalid input";
  const name = issue.path.length === 0 ? "the input" : nameOf(issue.path) || "the input";
  const more =
    issues.length > 1
      ? ` (and ${issues.length - 1} more problem${issues.length > 2 ? "s" : ""})`
      : "";
  return `${describe(issue, name)}${more}`;
}

function describe(issue: ValidationIssue, name: string): string {
  switch (issue.code) {
    case "invalid_value":
      if (issue.values !== undefined && issue.values.length > 0)
        return `${name} must be ${issue.values.length === 1 ? "" : "one of "}${issue.values.map((v) => JSON.stringify(v)).join(", ")}`;
      break;
    case "too_small":
      if (issue.minimum !== undefined)
        return `${name} must be ${issue.inclusive === false ? "more than" : "at least"} ${String(issue.minimum)}`;
      break;
    case "too_big":
      if (issue.maximum !== undefined)
        return `${name} must be ${issue.inclusive === false ? "less than" : "at most"} ${String(issue.maximum)}`;
      break;
    case "invalid_type":
      if (typeof issue.expected === "string") return `${name} must be ${article(issue.expected)}`;
      break;
    case "unrecognized_keys":
      return `unknown key${(issue.keys?.length ?? 0) > 1 ? "s" : ""} ${(issue.keys ?? []).map((k) => `"${k}"`).join(", ")}${name === "the input" ? "" : ` in ${name}`}`;
  }
  const text = issue.message.replace(/^Invalid input: /, "");
  return `${name}: ${text.charAt(0).toLowerCase()}${text.slice(1)}`;
}

function article(type: string): string {
  if (type === "int") return "an integer";
  return /^[aeiou]/.test(type) ? `an ${type}` : `a ${type}`;
}

/**
 * One sentence for an error thrown by node:util `parseArgs`, listing the valid flags for an
 * unknown one. Anything else keeps its message.
 */
export function optionErrorSentence(error: unknown, flags: readonly string[]): string {
  const e = error as { code?: string; message?: string };
  const message = String(e?.message ?? error);
  const quoted = /'(-[^' ]*)/.exec(message)?.[1];
  switch (e?.code) {
    case "ERR_PARSE_ARGS_UNKNOWN_OPTION":
      return `unknown option ${quoted ?? message}; valid options: ${flags.join(", ")}`;
    case "ERR_PARSE_ARGS_INVALID_OPTION_VALUE":
      if (/argument missing/.test(message)) return `${quoted} needs a value`;
      if (/does not take an argument/.test(message)) return `${quoted} takes no value`;
      // "--seconds -1": parseArgs will not take a value that looks like an option.
      if (/argument is ambiguous/.test(message))
        return `${quoted} was given a value starting with "-" (a negative number or a flag); negative values are not accepted, and any other such value is written ${quoted}=VALUE`;
      return message.split("\n")[0] ?? message;
    case "ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL": {
      const arg = /'([^']*)'/.exec(message)?.[1] ?? "";
      return `unexpected argument "${arg}": this command takes only options`;
    }
  }
  return message;
}

/** The `--version` line of a tool: name, package version and the Bun it runs on. */
export function versionLine(tool: string, version: string): string {
  return `${tool} ${version} (bun ${Bun.version})`;
}
