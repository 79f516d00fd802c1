/*
 * Health check: what the device still runs of what the driver set up. The 82599 stops a queue
 * by itself (RXDCTL/TXDCTL.ENABLE reads 0) when a descriptor fetch hits an unmapped address,
 * and a device reset the driver did not ask for (function reset, power event, another process)
 * puts every register back to its default: receive and transmit off, ring bases 0. Neither
 * shows on the hot path, which only sees "no frames"; this check names it from the registers.
 */
import { type Mmio, readRegisters } from "@dataplane/pci";
import { hex32 } from "./errors.ts";
import { decodeLinks, type LinkStatus } from "./link.ts";
import * as M from "./regs/mac.ts";
import * as RX from "./regs/receive.ts";
import * as TX from "./regs/transmit.ts";
import type { RingSlice } from "./rings.ts";

/** What health() found. `ok` is about the queues; the link is reported apart. */
export interface DeviceHealth {
  /** True when every queue runs with the configuration the driver gave it. */
  readonly ok: boolean;
  /** True when the device lost its configuration (reset): RXEN/TE off or ring bases gone. */
  readonly reset: boolean;
  /** RX queues whose RXDCTL.ENABLE reads 0: the NIC stopped them (e.g. after a DMA fault). */
  readonly stoppedRx: readonly number[];
  /** TX queues whose TXDCTL.ENABLE reads 0. */
  readonly stoppedTx: readonly number[];
  /** Link state (a link that is down is not a fault of the device). */
  readonly link: LinkStatus;
  /** One sentence per problem, with the register values; empty when ok. */
  readonly problems: readonly string[];
}

/** The global registers read, together (one round trip over vfio-user, where they trap). */
const GLOBALS = Int32Array.of(RX.RXCTRL, TX.DMATXCTL, M.LINKS);
/** Their values, read into the same array on every check (checkHealth runs to completion). */
const globals = new Uint32Array(GLOBALS.length);

const base = (mmio: Mmio, low: number): number =>
  (mmio.read32(low + 4) >>> 0) * 2 ** 32 + (mmio.read32(low) >>> 0);

/** Reads the enables and ring bases of every queue and compares them with the setup. */
export function checkHealth(
  mmio: Mmio,
  rxRings: readonly RingSlice[],
  txRings: readonly RingSlice[],
  name: string,
): DeviceHealth {
  const problems: string[] = [];
  readRegisters(mmio, GLOBALS, globals);
  const [rxctrl = 0, dmatxctl = 0, links = 0] = globals;
  let reset = (rxctrl & RX.RXCTRL_RXEN) === 0 || (dmatxctl & TX.DMATXCTL_TE) === 0;
  if (reset) {
    problems.push(
      `${name}: receive/transmit DMA is off (RXCTRL = ${hex32(rxctrl)}, DMATXCTL = ${hex32(dmatxctl)})`,
    );
  }
  const scan = (rings: readonly RingSlice[], dir: "RX" | "TX", stopped: number[]) => {
    for (const [q, ring] of rings.entries()) {
      const ctl = mmio.read32(dir === "RX" ? RX.RXDCTL(q) : TX.TXDCTL(q));
      const at = base(mmio, dir === "RX" ? RX.RDBAL(q) : TX.TDBAL(q));
      if (at !== ring.deviceAddress) {
        reset = true;
        problems.push(
          `${name}: ${dir} queue ${q} ring base reads 0x${at.toString(16)}, the driver set 0x${ring.deviceAddress.toString(16)}`,
        );
      }
      const bit = dir === "RX" ? RX.RXDCTL_ENABLE : TX.TXDCTL_ENABLE;
      if ((ctl & bit) === 0) {
        stopped.push(q);
        problems.push(
          `${name}: ${dir} queue ${q} was stopped by the device (${dir}DCTL = ${hex32(ctl)})`,
        );
      }
    }
  };
  const stoppedRx: number[] = [];
  const stoppedTx: number[] = [];
  scan(rxRings, "RX", stoppedRx);
  scan(txRings, "TX", stoppedTx);
  if (problems.length > 0) {
    problems.push(
      reset
        ? "the device was reset behind the driver's back: call recover() to set it up again"
        : "a stopped queue usually means a DMA fault (a descriptor or buffer address the device cannot reach): call recover()",
    );
  }
  const link = decodeLinks(links);
  return { ok: problems.length === 0, reset, stoppedRx, stoppedTx, link, problems };
}
