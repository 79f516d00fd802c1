// Device spec parsing and option validation.
import { describe, expect, test } from "bun:test";
import { formatMac, parseMac, resolveOptions } from "../src/options.ts";
import { parseSpec } from "../src/spec.ts";

describe("parseSpec", () => {
  test("the three forms", () => {
    expect(parseSpec("0000:03:00.0")).toEqual({ kind: "pci", address: "0000:03:00.0" });
    expect(parseSpec("03:00.1")).toEqual({ kind: "pci", address: "0000:03:00.1" });
    expect(parseSpec("0000:AF:1F.7")).toEqual({ kind: "pci", address: "0000:af:1f.7" });
    expect(parseSpec("vfio-user:/run/ixgbe-sim/p0.sock")).toEqual({
      kind: "vfio-user",
      socketPath: "/run/ixgbe-sim/p0.sock",
    });
    expect(parseSpec("sysfs:/tmp/dev0")).toEqual({ kind: "sysfs", dir: "/tmp/dev0" });
  });
  test.each(["", "eth0", "0000:03:20.0", "03:00.8", "vfio-user:", "sysfs:", "pci:0000:03:00.0"])(
    "refuses %p with BAD_SPEC naming the accepted forms",
    (spec) => {
      expect(() => parseSpec(spec)).toThrow(expect.objectContaining({ code: "BAD_SPEC" }));
    },
  );
  test("the message lists the accepted forms", () => {
    expect(() => parseSpec("eth0")).toThrow(/0000:03:00\.0.*vfio-user:.*sysfs:/);
  });
});

describe("options", () => {
  test("defaults", () => {
    const o = resolveOptions();
    expect(o).toMatchObject({
      rxQueues: 1,
      txQueues: 1,
      rxRingSize: 512,
      promiscuous: true,
      waitForLink: true,
    });
    expect(o.timeouts.linkMs).toBe(10_000);
  });
  test.each([
    [{ rxRingSize: 32 }, /rxRingSize = 32/],
    [{ txRingSize: 1000 }, /power of two/],
    [{ rxQueues: 0 }, /rxQueues/],
    [{ rxPoolSize: 100, rxRingSize: 64 }, /rxPoolSize/],
    [{ interruptQueues: [1] }, /interruptQueues/],
    [{ timeouts: { linkMs: -1 } }, /linkMs/],
    [{ macAddress: "01:00:5e:00:00:01" }, /multicast/],
  ])("refuses %p", (o, msg) => {
    expect(() => resolveOptions(o)).toThrow(msg);
  });
  test("MAC parse/format round trip", () => {
    expect(formatMac(parseMac("02:AB:cd:00:11:ff"))).toBe("02:ab:cd:00:11:ff");
    expect(() => parseMac("02:ab:cd")).toThrow(expect.objectContaining({ code: "BAD_CONFIG" }));
  });
});
