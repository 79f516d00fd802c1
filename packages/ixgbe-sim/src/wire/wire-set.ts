/*
 * WireSet: builds the wires of one device process from their specs and owns them. It is what
 * ties wires together: the two ends of a cable, generator ids, and the link that lets a sink
 * compare what arrived with what each generator in this process sent.
 */

import { IxgbeSimError } from "../errors.ts";
import { CableWire, cablePair, FrameRing } from "./cable.ts";
import { DuplexWire } from "./duplex.ts";
import { parseMac } from "./frame.ts";
import { GeneratorWire } from "./generator.ts";
import { NullWire } from "./null.ts";
import { PcapRecordWire, PcapReplayWire } from "./pcap.ts";
import { SinkWire } from "./sink.ts";
import { parseWireSpec, type WireSpec } from "./spec.ts";
import { TapWire } from "./tap.ts";
import type { Wire } from "./wire.ts";

/** Per-port context for building a wire. */
export interface WirePortOptions {
  /** The port's own MAC ("02:..." or 6 bytes): the default destination of generated frames. */
  mac?: string | Uint8Array;
}

const BROADCAST = Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0xff, 0xff);

/** The wires of one process, by port name. close() releases them all. */
export class WireSet {
  private readonly wires = new Map<string, Wire>();
  private readonly generators: (GeneratorWire | null)[] = new Array(256).fill(null);
  /** Cable ends created by the first port of a pair, waiting for the peer to open them. */
  private readonly pending = new Map<string, { end: CableWire }>();

  /** Builds the wire of `port` from a spec text or a parsed spec. Throws IxgbeSimError. */
  open(port: string, spec: string | WireSpec, options: WirePortOptions = {}): Wire {
    if (this.wires.has(port)) {
      throw new IxgbeSimError("BAD_SPEC", `port "${port}" already has a wire; open each port once`);
    }
    const parsed = typeof spec === "string" ? parseWireSpec(spec) : spec;
    const wire = this.build(port, parsed, options);
    this.wires.set(port, wire);
    return wire;
  }

  /** The wire of `port`, if opened. */
  get(port: string): Wire | undefined {
    return this.wires.get(port);
  }

  /** Throws CABLE_UNPAIRED when a cable's far port was never opened with cable:<near>. */
  checkComplete(): void {
    for (const [port, { end }] of this.pending) {
      throw new IxgbeSimError(
        "CABLE_UNPAIRED",
        `port "${end.peer}" is cabled to "${port}", but "${port}" was not opened with ` +
          `cable:${end.peer}; give it that spec`,
      );
    }
  }

  /** Each port's wire stats. */
  stats(): Record<string, Record<string, unknown>> {
    return Object.fromEntries([...this.wires].map(([port, w]) => [port, w.stats()]));
  }

  /** Closes every wire (and unclaimed cable ends). Idempotent; throws the first failure last. */
  close(): void {
    let first: unknown = null;
    const all = [...this.wires.values(), ...[...this.pending.values()].map((p) => p.end)];
    for (const w of all) {
      try {
        w.close();
      } catch (e) {
        first ??= e;
      }
    }
    this.wires.clear();
    this.pending.clear();
    this.generators.fill(null);
    if (first !== null) throw first;
  }

  [Symbol.dispose](): void {
    this.close();
  }

  private build(port: string, s: WireSpec, o: WirePortOptions): Wire {
    switch (s.kind) {
      case "gen":
        return this.generator(s, o);
      case "sink":
        return new SinkWire(s.text, { latencyEvery: s.latencyEvery }, (id) => {
          const g = this.generators[id];
          return g === null || g === undefined ? -1 : g.sent;
        });
      case "cable":
        return this.cable(port, s.peer, s.slots, s.text);
      case "tap":
        return new TapWire(s.text, s.ifname);
      case "pcap":
        return new PcapRecordWire(s.text, s.file);
      case "pcap-in":
        return new PcapReplayWire(s.text, s.file, s.loop, s.rate);
      case "null":
        return new NullWire(s.text);
      case "duplex": {
        const source = this.build(port, s.source, o);
        try {
          return new DuplexWire(s.text, source, this.build(port, s.sink, o));
        } catch (e) {
          source.close();
          throw e;
        }
      }
    }
  }

  private generator(s: Extract<WireSpec, { kind: "gen" }>, o: WirePortOptions): GeneratorWire {
    const id = s.id ?? this.generators.findIndex((g, i) => i > 0 && g === null);
    if (id < 0) {
      throw new IxgbeSimError(
        "TOO_MANY_GENERATORS",
        "all 255 generator ids are in use; close some",
      );
    }
    if (this.generators[id] !== null) {
      throw new IxgbeSimError("BAD_SPEC", `generator id ${id} is already used; pick another id=`);
    }
    const dst = s.dstMac ?? o.mac ?? null;
    const dstMac = dst === null ? BROADCAST : typeof dst === "string" ? parseMac(dst) : dst;
    if (dstMac === null || dstMac.length !== 6) {
      throw new IxgbeSimError(
        "BAD_SPEC",
        `port MAC ${String(dst)} is not a MAC like 02:00:00:00:00:01`,
      );
    }
    const { rate, size, flows, count, burst } = s;
    const gen = new GeneratorWire(s.text, { rate, size, flows, count, burst, id, dstMac });
    this.generators[id] = gen;
    return gen;
  }

  private cable(port: string, peer: string, slots: number, text: string): Wire {
    if (peer === port) {
      const ring = new FrameRing(slots); // loopback: the port receives what it sends
      return new CableWire(text, port, port, ring, ring, () => ring.close());
    }
    const waiting = this.pending.get(port);
    if (waiting !== undefined) {
      if (waiting.end.peer !== peer) {
        throw new IxgbeSimError(
          "BAD_SPEC",
          `port "${waiting.end.peer}" is cabled to "${port}", so "${port}" needs ` +
            `cable:${waiting.end.peer}, not cable:${peer}`,
        );
      }
      this.pending.delete(port);
      return waiting.end;
    }
    if (this.wires.has(peer)) {
      throw new IxgbeSimError(
        "CABLE_UNPAIRED",
        `port "${peer}" already has the wire "${this.wires.get(peer)?.spec}", so "${port}" ` +
          `cannot be cabled to it; give "${peer}" the spec cable:${port}`,
      );
    }
    const [near, far] = cablePair(port, peer, slots);
    this.pending.set(peer, { end: far });
    return near;
  }
}
