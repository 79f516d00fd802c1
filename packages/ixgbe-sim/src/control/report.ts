/*
 * What `stats` and `wires` report for a port: the model's counters, the statistics registers as
 * they stand (read without clearing them), the wire's spec and stats, and the transport state.
 */
import type { Port } from "../model/port.ts";
import { STAT_REGISTERS } from "../model/stats.ts";
import type { ControlledPort } from "./commands.ts";

/** Current statistics register values (without clearing them), non-zero ones only. */
export function registerValues(port: Port): Record<string, number> {
  const counters = port.core.counters;
  const out: Record<string, number> = {};
  for (const reg of STAT_REGISTERS) {
    if (reg.half === 1) continue;
    let value = counters.peek(reg);
    let name = reg.name;
    if (reg.wide) {
      const high = STAT_REGISTERS.find((r) => r.id === reg.id && r.half === 1);
      value += high === undefined ? 0 : counters.peek(high) * 4294967296;
      name = name.replace(/_?L$/, "");
    }
    if (value !== 0) out[name] = value;
  }
  return out;
}

/** The `stats` document of one port. */
export function portStats(p: ControlledPort): Record<string, unknown> {
  return {
    port: p.index,
    model: p.port.stats(),
    // The model's counters start at 0 after a power cycle; these are the earlier models' sums.
    beforePowerCycles: p.retired?.() ?? null,
    registers: registerValues(p.port),
    wire: wireInfo(p),
    transport: p.transport(),
  };
}

/** The `wires` entry of one port. */
export function wireInfo(p: ControlledPort): Record<string, unknown> {
  return { port: p.index, spec: p.wire.spec, stats: p.wire.stats() };
}
