/* parseWireSpec: every form, defaults, and errors that name the bad part and list valid forms. */
import { describe, expect, test } from "bun:test";
import { IxgbeSimError } from "../src/errors.ts";
import { parseWireSpec } from "../src/wire/spec.ts";

function error(text: string): IxgbeSimError {
  try {
    parseWireSpec(text);
  } catch (e) {
    expect(e).toBeInstanceOf(IxgbeSimError);
    return e as IxgbeSimError;
  }
  throw new Error(`"${text}" was accepted`);
}

describe("parseWireSpec", () => {
  test("gen defaults and options with suffixes", () => {
    expect(parseWireSpec("gen")).toEqual({
      kind: "gen",
      text: "gen",
      rate: Infinity,
      size: 60,
      flows: 1,
      count: Infinity,
      burst: 32,
      dstMac: null,
      id: null,
    });
    expect(
      parseWireSpec(
        "gen:rate=1.5M,size=1514,flows=64,count=10k,burst=8,dst=02:00:00:00:00:07,id=9",
      ),
    ).toMatchObject({
      rate: 1_500_000,
      size: 1514,
      flows: 64,
      count: 10_000,
      burst: 8,
      dstMac: "02:00:00:00:00:07",
      id: 9,
    });
    expect(parseWireSpec("gen:rate=max")).toMatchObject({ rate: Infinity });
  });

  test("the other forms", () => {
    expect(parseWireSpec("sink")).toMatchObject({ kind: "sink", latencyEvery: 16 });
    expect(parseWireSpec("sink:latency=0")).toMatchObject({ latencyEvery: 0 });
    expect(parseWireSpec("cable:p1")).toMatchObject({ kind: "cable", peer: "p1", slots: 512 });
    expect(parseWireSpec("cable:p1,slots=64")).toMatchObject({ slots: 64 });
    expect(parseWireSpec("tap:dp0")).toMatchObject({ kind: "tap", ifname: "dp0" });
    expect(parseWireSpec("pcap:/tmp/a+b.pcap")).toMatchObject({
      kind: "pcap",
      file: "/tmp/a+b.pcap",
    });
    expect(parseWireSpec("pcap-in:x.pcap,loop,rate=10k")).toMatchObject({
      kind: "pcap-in",
      file: "x.pcap",
      loop: true,
      rate: 10_000,
    });
    expect(parseWireSpec("pcap-in:x.pcap")).toMatchObject({ loop: false, rate: Infinity });
    expect(parseWireSpec("none")).toEqual({ kind: "null", text: "none" });
    expect(parseWireSpec("null")).toEqual({ kind: "null", text: "null" });
  });

  test("source+sink in either order", () => {
    const d = parseWireSpec("gen:flows=4+sink");
    expect(d).toMatchObject({
      kind: "duplex",
      source: { kind: "gen", flows: 4 },
      sink: { kind: "sink" },
    });
    expect(parseWireSpec("pcap:out.pcap+pcap-in:in.pcap")).toMatchObject({
      source: { kind: "pcap-in", file: "in.pcap" },
      sink: { kind: "pcap", file: "out.pcap" },
    });
  });

  test("errors name the bad part and list the valid forms", () => {
    const e = error("gen:rate=fast");
    expect(e.code).toBe("BAD_SPEC");
    expect(e.message).toContain('bad wire spec "gen:rate=fast"');
    expect(e.message).toContain('rate: "fast" is not a rate');
    expect(e.message).toContain("valid forms:");
    expect(e.message).toContain("pcap-in:FILE[,loop][,rate=R]");
    expect(error("gen:size=59").message).toContain('size: "59" must be a whole number in 60..9000');
    expect(error("gen:speed=1").message).toContain("speed");
    expect(error("gen:rate=1,rate=2").message).toContain('option "rate" given twice');
    expect(error("wire").message).toContain('unknown wire "wire"');
    expect(error("cable").message).toContain('"cable" needs a peer port');
    expect(error("cable:p/1").message).toContain("is not a port name");
    expect(error("tap:averyveryverylongname").message).toContain("is not an interface name");
    expect(error("pcap:x.pcap,replay").message).toContain("replay is pcap-in:FILE");
    expect(error("null:x").message).toContain('"null" takes no options');
    expect(error("gen+gen").message).toContain("one source (gen, pcap-in) with one sink");
    expect(error("cable:p1+sink").message).toContain("not cable+sink");
    expect(error("gen+sink+pcap:x").message).toContain("at most two parts");
    expect(error("sink:latency=-1").message).toContain("latency");
    expect(error("gen:dst=zz").message).toContain("expected a MAC");
    expect(error("").message).toContain("empty");
  });
});
