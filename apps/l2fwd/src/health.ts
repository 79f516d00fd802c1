/*
 * Watching the ports during a run: link changes are reported, and a device that stopped a
 * queue or reset itself (a DMA fault, CTRL.RST behind the driver's back) is set up again with
 * the driver's recover(), which keeps the rings and pools, so the forwarders carry on as they
 * are. Runs between polling slices, a few register reads every CHECK_NS, never per packet.
 */
import type { DevicePort } from "./device-port.ts";
import { L2fwdError } from "./errors.ts";
import type { QueueCustody } from "./port.ts";

/** How often the ports are checked, in ns. */
const CHECK_NS = 100e6;

/** Something that happened to a port during the run. */
export interface PortEvent {
  /** Port index (0 or 1). */
  readonly port: number;
  readonly kind: "link-down" | "link-up" | "fault" | "recovered";
  /** One line for the user. */
  readonly message: string;
}

/** What a check found. */
export interface Maintenance {
  readonly events: readonly PortEvent[];
}

/** Link and device watch over the ports, with recovery through the driver. */
export class PortHealth {
  private readonly linkUp: boolean[];
  private nextNs = 0;

  constructor(private readonly ports: readonly DevicePort[]) {
    this.linkUp = ports.map(() => true);
  }

  /**
   * Checks the ports if CHECK_NS passed since the last check; null when nothing was checked
   * or nothing happened. A port that needs recovery gets it with its queues at home: with
   * Workers, `custody` takes every pair back first and hands them out again afterwards.
   * Throws L2fwdError DEVICE when a recovery fails.
   */
  async check(custody?: QueueCustody, nowNs = Bun.nanoseconds()): Promise<Maintenance | null> {
    if (nowNs < this.nextNs) return null;
    const events: PortEvent[] = [];
    let home = false;
    for (const [i, p] of this.ports.entries()) {
      const h = p.device.health();
      if (h.link.up !== this.linkUp[i]) {
        this.linkUp[i] = h.link.up;
        const kind = h.link.up ? "link-up" : "link-down";
        events.push({ port: i, kind, message: `link ${h.link.up ? "up" : "down"}` });
      }
      if (h.ok) continue;
      const what = h.reset
        ? "device reset"
        : `queues stopped (RX ${h.stoppedRx}, TX ${h.stoppedTx})`;
      events.push({ port: i, kind: "fault", message: `${what}: ${h.problems[0] ?? ""}` });
      if (custody !== undefined && !home) {
        await custody.takeHome();
        home = true;
      }
      events.push(await this.recover(i, p)); // on failure the queues stay home; the run ends
    }
    if (home) await custody?.handOut();
    this.nextNs = Bun.nanoseconds() + CHECK_NS;
    return events.length === 0 ? null : { events };
  }

  // Sets port i up again with the driver's recover(); its queues must be at home.
  private async recover(i: number, p: DevicePort): Promise<PortEvent> {
    const t0 = Bun.nanoseconds();
    try {
      p.stats(); // keep the counters the card still holds; the reset clears them
      await p.device.recover();
    } catch (cause) {
      throw new L2fwdError(
        "DEVICE",
        `port ${i} (${p.name}) failed during the run and could not be set up again: ${(cause as Error).message}`,
        { cause },
      );
    }
    this.linkUp[i] = p.device.link().up;
    const ms = ((Bun.nanoseconds() - t0) / 1e6).toFixed(0);
    const link = this.linkUp[i] ? "up" : "down";
    return { port: i, kind: "recovered", message: `set up again in ${ms} ms, link ${link}` };
  }
}

/** An event as a line of the live output: text, or a JSON object with `"type": "event"`. */
export function formatEvent(e: PortEvent, elapsedSeconds: number, json: boolean): string {
  if (json) {
    return JSON.stringify({ type: "event", elapsed: Number(elapsedSeconds.toFixed(3)), ...e });
  }
  const time = `${elapsedSeconds.toFixed(1)} s`.padStart(8);
  return `${time} ${String(e.port).padStart(5)}  ${e.kind}: ${e.message}`;
}
