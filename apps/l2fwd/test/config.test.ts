import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildConfig, loadConfigFile, parseCommandLine } from "../src/args.ts";
import { checkWireSpec, splitWireList } from "../src/config.ts";
import { L2fwdError } from "../src/errors.ts";

const dir = mkdtempSync(join(tmpdir(), "l2fwd-config-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const file = (name: string, text: string): string => {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
};
const run = (argv: string[]) => {
  const c = parseCommandLine(argv);
  if (c.kind !== "run") throw new Error(`expected a run, got ${c.kind}`);
  return c.config;
};
const usage = (argv: string[]): string => {
  try {
    parseCommandLine(argv);
  } catch (e) {
    expect(e).toBeInstanceOf(L2fwdError);
    return (e as L2fwdError).message;
  }
  throw new Error("no error");
};

describe("flags", () => {
  test("defaults: embedded model, 10 s, batch 32, ring 512, one queue, touch", () => {
    const c = run([]);
    expect(c).toMatchObject({
      devices: [],
      embedded: true,
      duration: 10,
      batch: 32,
      ringSize: 512,
      queues: 1,
      mode: "touch",
      interval: 1,
      json: false,
      quiet: false,
      promisc: true,
    });
    expect(c.sim.wires).toEqual(["gen:rate=100k+sink", "gen:rate=100k+sink"]);
  });

  test("devices run until Ctrl-C by default; short flags and --no-promisc", () => {
    const c = run([
      "0000:03:00.0",
      "vfio-user:/run/p1.sock",
      "-b",
      "64",
      "-r",
      "1024",
      "-q",
      "4",
      "-m",
      "mac",
      "--no-promisc",
    ]);
    expect(c).toMatchObject({
      embedded: false,
      duration: 0,
      batch: 64,
      ringSize: 1024,
      queues: 4,
      mode: "mac",
      promisc: false,
    });
  });

  test("every range error names the key and the valid range", () => {
    expect(usage(["--batch", "0"])).toContain("batch must be an integer from 1 to 512, got 0");
    expect(usage(["--batch", "513"])).toContain("from 1 to 512, got 513");
    expect(usage(["--batch", "abc"])).toContain('got "abc"');
    expect(usage(["--batch", "2.5"])).toContain("got 2.5");
    expect(usage(["--ring", "100"])).toContain("ringSize must be a power of two from 64 to 4096");
    expect(usage(["--ring", "100"])).toContain("(flag --ring)");
    expect(usage(["--ring", "8192"])).toContain("got 8192");
    expect(usage(["--queues", "17"])).toContain("queues must be an integer from 1 to 16, got 17");
    expect(usage(["--mode", "swap"])).toContain(
      'mode must be "touch", "mac" or "pass", got "swap"',
    );
    expect(usage(["--duration=-1"])).toContain("duration must be a number of seconds");
    expect(usage(["--duration", "-1"])).toContain("as --duration=VALUE");
    expect(usage(["--interval", "0"])).toContain(
      "interval must be a number of seconds from 0.1 to 3600",
    );
  });

  test("unknown options and missing values are usage errors", () => {
    expect(usage(["--bach", "3"])).toContain("unknown option --bach; valid options: --batch");
    expect(usage(["--batch"])).toContain("argument missing");
    expect(() => parseCommandLine(["--bogus"])).toThrow(
      expect.objectContaining({ code: "USAGE", exitCode: 2 }),
    );
  });

  test("device specs and their count are checked", () => {
    expect(usage(["eth0", "eth1"])).toContain('device "eth0" is not a device spec');
    expect(usage(["0000:03:00.0"])).toContain("give two devices");
    expect(run(["03:00.0", "sysfs:/tmp/dev"]).devices).toEqual(["03:00.0", "sysfs:/tmp/dev"]);
  });

  test("sim wires: one flag with a comma list or repeated, options folded into bare gen", () => {
    expect(run(["--sim-wire", "gen+sink,cable"]).sim.wires).toEqual([
      "gen:rate=100k+sink",
      "cable:p1",
    ]);
    expect(run(["--sim-wire", "gen:rate=1M,size=60+sink", "--sim-wire", "sink"]).sim.wires).toEqual(
      ["gen:rate=1M,size=60+sink", "sink"],
    );
    expect(run(["--sim-rate", "250k", "--sim-size", "1500", "--sim-flows", "8"]).sim.wires).toEqual(
      ["gen:rate=250k,size=1500,flows=8+sink", "gen:rate=250k,size=1500,flows=8+sink"],
    );
    expect(usage(["--sim-wire", "gen+sink"])).toContain("one wire spec per port (2), got 1");
    expect(usage(["--sim-wire", "gen+laser,sink"])).toContain('unknown kind "laser"');
    expect(usage(["--sim-wire", "tap,sink"])).toContain("needs an argument: tap:IF");
    expect(usage(["--sim-rate", "fast"])).toContain("sim.rate must be frames per second");
    expect(usage(["--sim-size", "59"])).toContain("from 60 to 9000, got 59");
    expect(usage(["0000:03:00.0", "0000:03:00.1", "--sim-rate", "1M"])).toContain(
      "applies only to the embedded model",
    );
  });

  test("--sim-process-per-port: off by default, refused with cable wires or devices", () => {
    expect(run([]).sim.processPerPort).toBe(false);
    expect(run(["--sim-process-per-port"]).sim.processPerPort).toBe(true);
    expect(usage(["--sim-process-per-port", "--sim-wire", "cable,cable"])).toContain(
      "sim.processPerPort cannot serve cable wires",
    );
    expect(usage(["0000:03:00.0", "0000:03:00.1", "--sim-process-per-port"])).toContain(
      "sim.processPerPort applies only to the embedded model",
    );
    const f = file("ppp.yaml", "sim:\n  processPerPort: true\n");
    expect(run(["-c", f]).sim.processPerPort).toBe(true);
  });

  test("help and version", () => {
    expect(parseCommandLine(["--help", "--batch", "0"]).kind).toBe("help");
    expect(parseCommandLine(["-V"]).kind).toBe("version");
  });
});

test("splitWireList splits only where a new wire kind starts", () => {
  expect(splitWireList("gen:rate=1M,size=60,flows=4+sink,gen+sink")).toEqual([
    "gen:rate=1M,size=60,flows=4+sink",
    "gen+sink",
  ]);
  expect(splitWireList("pcap:/tmp/a,b.pcap,sink")).toEqual(["pcap:/tmp/a,b.pcap", "sink"]);
  expect(checkWireSpec("pcap-in:/x.pcap+sink")).toBeNull();
  expect(checkWireSpec("")).toContain("empty");
});

describe("config files", () => {
  test("YAML and JSON are read; flags win over the file; sim keys merge", () => {
    const y = file(
      "a.yaml",
      "batch: 16\nringSize: 1024\nmode: mac\nsim:\n  rate: 1M\n  flows: 4\n",
    );
    const c = run(["--config", y, "--batch", "128", "--sim-flows", "2"]);
    expect(c).toMatchObject({ batch: 128, ringSize: 1024, mode: "mac" });
    expect(c.sim.wires[0]).toBe("gen:rate=1M,flows=2+sink");
    const j = file(
      "b.json",
      JSON.stringify({ queues: 2, devices: ["0000:01:00.0", "0000:01:00.1"] }),
    );
    expect(run(["-c", j])).toMatchObject({ queues: 2, embedded: false });
    expect(run(["-c", j, "vfio-user:/a", "vfio-user:/b"]).devices).toEqual([
      "vfio-user:/a",
      "vfio-user:/b",
    ]);
  });

  test("unknown keys are rejected with the file, the key and the valid keys", () => {
    const y = file("bad.yml", "batch: 8\nbach: 3\nsim:\n  wirez: []\n");
    const m = usage(["--config", y]);
    expect(m).toContain(`config file ${y}: unknown key "bach"`);
    expect(m).toContain("valid keys: devices, batch, ringSize");
    expect(m).toContain('unknown key "sim.wirez"; valid keys: wires, rate, size, flows');
  });

  test("a bad value in the file names the file", () => {
    const y = file("range.yaml", "ringSize: 500\n");
    expect(usage(["-c", y])).toContain(`config file ${y}: ringSize must be a power of two`);
  });

  test("unreadable, unparsable and non-mapping files give CONFIG_FILE errors", () => {
    const code = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        return `${(e as L2fwdError).code}: ${(e as Error).message}`;
      }
      return "no error";
    };
    expect(code(() => loadConfigFile(join(dir, "missing.yaml")))).toMatch(
      /^CONFIG_FILE: .*cannot be read/,
    );
    expect(code(() => loadConfigFile(file("x.toml", "")))).toContain('unknown extension ".toml"');
    expect(code(() => loadConfigFile(file("broken.yaml", "batch: [1,\n")))).toContain(
      "is not valid YAML",
    );
    expect(code(() => loadConfigFile(file("broken.json", "{")))).toContain("is not valid JSON");
    expect(code(() => loadConfigFile(file("list.yaml", "- 1\n- 2\n")))).toContain("not a list");
    expect(loadConfigFile(file("empty.yaml", ""))).toEqual({});
    expect(new L2fwdError("CONFIG_FILE", "x").exitCode).toBe(2);
  });

  test("buildConfig validates a merged object directly", () => {
    expect(buildConfig({ batch: 4 }, { batch: 8 }, new Set(["batch"])).batch).toBe(8);
  });
});

test("the README's config file example is valid", () => {
  const readme = readFileSync(join(import.meta.dir, "../README.md"), "utf8");
  const yaml = /```yaml\n([\s\S]*?)```/.exec(readme)?.[1];
  expect(yaml).toBeDefined();
  const c = run(["--config", file("readme.yaml", yaml as string)]);
  expect(c).toMatchObject({ batch: 64, ringSize: 1024, queues: 2, mode: "mac", interval: 0.5 });
  expect(c.sim.wires).toEqual(["gen:rate=2M,flows=128+sink", "gen:rate=2M,flows=128+sink"]);
});

describe("a bare cable gets its peer", () => {
  const wires = (w: string[]) => buildConfig({}, { sim: { wires: w } }, new Set(["sim"])).sim.wires;
  test("cable on both ports: back to back", () => {
    expect(wires(["cable", "cable"])).toEqual(["cable:p1", "cable:p0"]);
    expect(wires(["cable:p1", "cable"])).toEqual(["cable:p1", "cable:p0"]);
  });
  test("cable beside another wire: a loopback plug on that port (the help's gen+sink,cable)", () => {
    expect(wires(["gen+sink", "cable"])[1]).toBe("cable:p1");
    expect(wires(["cable", "null"])[0]).toBe("cable:p0");
  });
  test("a named peer is left as written", () => {
    expect(wires(["null", "cable:p1"])).toEqual(["null", "cable:p1"]);
  });
});
