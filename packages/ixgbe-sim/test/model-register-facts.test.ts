/*
 * The model takes its register offsets and bit fields from the driver's register map
 * (@dataplane/ixgbe/regs), so a wrong value there would be wrong on both sides and no
 * behavioural test would notice. This test checks the map the model uses (the driver's, with
 * the model's own overrides) against facts/82599-registers.tsv, transcribed independently from
 * the datasheet and the Linux ixgbe_type.h values, and checks that the model's register kinds
 * sit at the transcribed offsets.
 */
import { expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import * as R from "@dataplane/ixgbe/regs";
import { K, KIND, PBACL } from "../src/model/register-map.ts";

interface Fact {
  readonly name: string;
  readonly index: number | null;
  readonly value: number;
  readonly line: number;
}

const FACTS: Fact[] = readFileSync(new URL("facts/82599-registers.tsv", import.meta.url), "utf8")
  .split("\n")
  .map((text, i) => ({ text, line: i + 1 }))
  .filter(({ text }) => text.trim() !== "" && !text.startsWith("#"))
  .map(({ text, line }) => {
    const [name, index, value] = text.split("\t");
    return {
      name: name as string,
      index: index === "-" ? null : Number(index),
      value: Number(value),
      line,
    };
  });

/** The register map the model uses: the driver's, with the values the model owns itself. */
const MODEL_MAP: Record<string, unknown> = { ...R, PBACL };

function modelValue(f: Fact): number | string {
  const v = MODEL_MAP[f.name];
  if (v === undefined) return `${f.name} is not in the model's register map`;
  if (f.index === null) return typeof v === "number" ? v >>> 0 : `${f.name} is not a constant`;
  return typeof v === "function" ? (v as (n: number) => number)(f.index) >>> 0 : "not a function";
}

test("the fact table holds at least 200 registers and bit fields", () => {
  expect(FACTS.length).toBeGreaterThanOrEqual(200);
  for (const f of FACTS) expect(Number.isInteger(f.value)).toBe(true);
});

test("every register offset and bit field the model uses matches the transcribed facts", () => {
  const wrong = FACTS.filter((f) => modelValue(f) !== f.value >>> 0).map(
    (f) =>
      `line ${f.line}: ${f.name}${f.index === null ? "" : `(${f.index})`} is ${String(modelValue(f))}, fact 0x${f.value.toString(16)}`,
  );
  expect(wrong).toEqual([]);
});

test("the model's register kinds sit at the transcribed offsets", () => {
  const at = (name: string, index: number | null = null): number => {
    const f = FACTS.find((x) => x.name === name && x.index === index);
    if (f === undefined) throw new Error(`no fact for ${name}(${index})`);
    return KIND[f.value >>> 2] as number;
  };
  const expected: [string, number | null, number][] = [
    ["CTRL", null, K.CTRL],
    ["STATUS", null, K.STATUS],
    ["EICR", null, K.EICR],
    ["EIMS", null, K.EIMS],
    ["EIMC", null, K.EIMC],
    ["AUTOC", null, K.AUTOC],
    ["LINKS", null, K.LINKS],
    ["EEC", null, K.EEC],
    ["EERD", null, K.EERD],
    ["SWSM", null, K.SWSM],
    ["RDRXCTL", null, K.RDRXCTL],
    ["RXCTRL", null, K.RXCTRL],
    ["SECRXCTRL", null, K.SECRXCTRL],
    ["PBACL", 0, K.WO],
    ["PBACL", 7, K.WO],
    ["RXDCTL", 127, K.RXDCTL],
    ["TXDCTL", 127, K.TXDCTL],
    ["RDH", 64, K.RDH],
    ["TDH", 1, K.TDH],
    ["GPRC", null, K.STAT],
    ["QPRC", 15, K.STAT],
    ["RAH", 127, K.RAR],
    ["RSSRK", 9, K.RSSRK],
  ];
  for (const [name, index, kind] of expected)
    expect([name, index, at(name, index)]).toEqual([name, index, kind]);
});
