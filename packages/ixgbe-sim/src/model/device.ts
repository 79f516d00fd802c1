/*
 * Device: the dual-port 82599ES as a whole, two Port functions that share nothing but the
 * package. A server exposes each port as its own PCI function (or its own vfio-user device).
 */

import { IxgbeSimError } from "../errors.ts";
import { configSpace } from "./config-space.ts";
import { Port, type PortOptions } from "./port.ts";

/** Per-port options without the LAN ID (taken from the position). */
export type DevicePortOptions = Omit<PortOptions, "lanId">;

/** A one- or two-port 82599ES. */
export class Device {
  /** Ports by function number. */
  readonly ports: readonly Port[];

  constructor(ports: readonly DevicePortOptions[]) {
    if (ports.length < 1 || ports.length > 2) {
      throw new IxgbeSimError("BAD_OPTION", `${ports.length} ports: the 82599ES has 1 or 2`);
    }
    this.ports = ports.map((o, i) => new Port({ ...o, lanId: i }));
  }

  /** Runs every port's datapath once; returns the total work done. */
  step(budget = 64): number {
    let work = 0;
    for (let i = 0; i < this.ports.length; i++) work += (this.ports[i] as Port).step(budget);
    return work;
  }

  /** Configuration space image of function `fn`. */
  configSpace(fn: number, size: 256 | 4096 = 4096): Uint8Array {
    return configSpace({ function: fn, size });
  }
}
