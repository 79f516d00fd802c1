/*
 * ABI conformance: compiles test/abi/vfio-abi.c against <linux/vfio.h> and the libc headers,
 * runs it, and compares every ioctl number, constant, struct size and field offset with the
 * TypeScript tables of the kernel backend and of @dataplane/sys.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { constants, Errno } from "@dataplane/sys";
import { IRQ_INTX, IRQ_MSI, IRQ_MSIX, REGION_BAR0, REGION_CONFIG } from "../src/device.ts";
import { IOCTL, LAYOUTS, VFIO } from "../src/kernel/abi.ts";

const SOURCE = `${import.meta.dir}/abi/vfio-abi.c`;
const missing =
  Bun.which("gcc") === null
    ? "gcc"
    : existsSync("/usr/include/linux/vfio.h")
      ? null
      : "<linux/vfio.h>";

/** kind -> name -> numbers printed after the name. */
type Facts = Map<string, Map<string, number[]>>;
const facts: Facts = new Map();
let workDir = "";

function fact(kind: string, name: string): number[] | undefined {
  return facts.get(kind)?.get(name);
}

beforeAll(() => {
  if (missing !== null) return;
  workDir = mkdtempSync(`${tmpdir()}/dataplane-vfio-abi-`);
  const exe = `${workDir}/vfio-abi`;
  const cc = Bun.spawnSync(["gcc", "-Wall", "-Werror", "-o", exe, SOURCE], { stderr: "pipe" });
  if (cc.exitCode !== 0) throw new Error(`gcc failed on ${SOURCE}:\n${cc.stderr.toString()}`);
  const run = Bun.spawnSync([exe], { stdout: "pipe", stderr: "pipe" });
  if (run.exitCode !== 0)
    throw new Error(`${exe} exited ${run.exitCode}: ${run.stderr.toString()}`);
  for (const line of run.stdout.toString().trim().split("\n")) {
    const [kind, name, ...values] = line.split(" ");
    const byName = facts.get(kind as string) ?? new Map<string, number[]>();
    byName.set(name as string, values.map(Number));
    facts.set(kind as string, byName);
  }
});

afterAll(() => {
  if (workDir !== "") rmSync(workDir, { recursive: true, force: true });
});

if (missing !== null) {
  test(`ABI conformance needs gcc and <linux/vfio.h> (${missing} missing)`, () => {
    if (process.env.CI === "true") {
      throw new Error(
        `CI: ${missing} is missing; install gcc and linux-libc-dev to run the ABI check`,
      );
    }
    console.warn(
      `skipped: ${missing} is missing; install gcc and linux-libc-dev to run the ABI check`,
    );
  });
}

describe.skipIf(missing !== null)("kernel VFIO ABI matches <linux/vfio.h>", () => {
  test("ioctl request numbers, both ways", () => {
    for (const [name, value] of Object.entries(IOCTL)) {
      expect({ name, value: fact("ioctl", `VFIO_${name}`)?.[0] }).toEqual({ name, value });
    }
    expect([...(facts.get("ioctl")?.keys() ?? [])].sort()).toEqual(
      Object.keys(IOCTL)
        .map((n) => `VFIO_${n}`)
        .sort(),
    );
  });

  test("flag and index constants, both ways", () => {
    for (const [name, value] of Object.entries(VFIO)) {
      expect({ name, value: fact("vfio", `VFIO_${name}`)?.[0] }).toEqual({ name, value });
    }
    expect(facts.get("vfio")?.size).toBe(Object.keys(VFIO).length);
  });

  test("the VfioDevice contract's region and IRQ indexes", () => {
    expect(REGION_BAR0).toBe(fact("vfio", "VFIO_PCI_BAR0_REGION_INDEX")?.[0] as number);
    expect(REGION_CONFIG).toBe(fact("vfio", "VFIO_PCI_CONFIG_REGION_INDEX")?.[0] as number);
    expect(IRQ_INTX).toBe(fact("vfio", "VFIO_PCI_INTX_IRQ_INDEX")?.[0] as number);
    expect(IRQ_MSI).toBe(fact("vfio", "VFIO_PCI_MSI_IRQ_INDEX")?.[0] as number);
    expect(IRQ_MSIX).toBe(fact("vfio", "VFIO_PCI_MSIX_IRQ_INDEX")?.[0] as number);
  });

  test("struct sizes and every field's offset and size, both ways", () => {
    let fields = 0;
    for (const [struct, layout] of Object.entries(LAYOUTS)) {
      expect({ struct, size: fact("size", struct)?.[0] }).toEqual({ struct, size: layout.size });
      for (const [field, { offset, size }] of Object.entries(layout.fields)) {
        const got = fact("field", `${struct}.${field}`);
        expect({ field: `${struct}.${field}`, got }).toEqual({
          field: `${struct}.${field}`,
          got: [offset, size],
        });
        fields++;
      }
    }
    expect(facts.get("size")?.size).toBe(Object.keys(LAYOUTS).length);
    expect(facts.get("field")?.size).toBe(fields);
  });
});

describe.skipIf(missing !== null)("@dataplane/sys constants match the libc headers", () => {
  test("every exported constant (add new ones to test/abi/vfio-abi.c)", () => {
    const entries = Object.entries(constants).filter(([, v]) => typeof v === "number");
    expect(entries.length).toBeGreaterThan(50);
    for (const [name, value] of entries) {
      expect({ name, value: fact("sys", name)?.[0] }).toEqual({ name, value: value as number });
    }
  });

  test("every errno value in Errno", () => {
    for (const [name, value] of Object.entries(Errno)) {
      expect({ name, value: fact("errno", name)?.[0] }).toEqual({ name, value });
    }
  });
});
