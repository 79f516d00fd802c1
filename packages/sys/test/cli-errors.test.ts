import { expect, test } from "bun:test";
import { parseArgs } from "node:util";
import { z } from "zod";
import { issueSentence, optionErrorSentence, versionLine } from "../src/index.ts";

const Schema = z.strictObject({
  mode: z.enum(["touch", "mac", "pass"]),
  batch: z.int().min(1).max(512),
  name: z.string(),
});

function sentence(input: unknown): string {
  const r = Schema.safeParse(input);
  if (r.success) throw new Error("expected a failure");
  return issueSentence(r.error.issues, (path) => `--${path.join(".")}`);
}

test("zod issues become one sentence naming the flag and the allowed values", () => {
  const ok = { mode: "mac", batch: 32, name: "x" };
  expect(sentence({ ...ok, mode: "fast" })).toBe('--mode must be one of "touch", "mac", "pass"');
  expect(sentence({ ...ok, batch: 0 })).toBe("--batch must be at least 1");
  expect(sentence({ ...ok, batch: 600 })).toBe("--batch must be at most 512");
  expect(sentence({ ...ok, batch: 1.5 })).toBe("--batch must be an integer");
  expect(sentence({ ...ok, name: 3 })).toBe("--name must be a string");
  expect(sentence({ ...ok, extra: 1 })).toBe('unknown key "extra"');
  expect(sentence({ ...ok, mode: "x", batch: 0 })).toBe(
    '--mode must be one of "touch", "mac", "pass" (and 1 more problem)',
  );
  expect(issueSentence([])).toBe("invalid input");
});

test("parseArgs errors become one sentence listing the valid flags", () => {
  const flags = ["--ports", "--help"];
  const fail = (args: string[]) => {
    try {
      parseArgs({
        args,
        strict: true,
        options: { ports: { type: "string" }, help: { type: "boolean" } },
      });
    } catch (e) {
      return optionErrorSentence(e, flags);
    }
    throw new Error("expected a failure");
  };
  expect(fail(["--frob"])).toBe("unknown option --frob; valid options: --ports, --help");
  expect(fail(["--ports"])).toBe("--ports needs a value");
  expect(fail(["--help=1"])).toBe("--help takes no value");
  expect(fail(["extra"])).toBe('unexpected argument "extra": this command takes only options');
  expect(fail(["--ports", "-1"])).toBe(
    '--ports was given a value starting with "-" (a negative number or a flag); negative values are not accepted, and any other such value is written --ports=VALUE',
  );
  expect(optionErrorSentence(new Error("other"), flags)).toBe("other");
});

test("versionLine names the tool, its version and the Bun it runs on", () => {
  expect(versionLine("pci", "1.2.3")).toBe(`pci 1.2.3 (bun ${Bun.version})`);
});
