/*
 * Unicast address filter entry 0 and promiscuous mode (datasheet §7.1.1.1). The EEPROM's
 * address is loaded into RAL(0)/RAH(0) with AV set at every reset; a new address is written
 * with AV set so unicast frames to it pass without promiscuous mode.
 */
import type { Mmio } from "@dataplane/pci";
import * as F from "./regs/filter.ts";

/** Reads receive-address entry 0 as 6 bytes. */
export function readMac(mmio: Mmio): Uint8Array {
  const lo = mmio.read32(F.RAL(0));
  const hi = mmio.read32(F.RAH(0));
  return Uint8Array.from([lo, lo >>> 8, lo >>> 16, lo >>> 24, hi, hi >>> 8], (b) => b & 0xff);
}

/** Writes receive-address entry 0 (valid). */
export function writeMac(mmio: Mmio, mac: Uint8Array): void {
  const [b0, b1, b2, b3, b4, b5] = mac as unknown as number[];
  mmio.write32(
    F.RAL(0),
    ((b0 as number) | ((b1 as number) << 8) | ((b2 as number) << 16) | ((b3 as number) << 24)) >>>
      0,
  );
  mmio.write32(F.RAH(0), ((b4 as number) | ((b5 as number) << 8) | F.RAH_AV) >>> 0);
}

/** Turns unicast+multicast promiscuous mode on or off (broadcast stays accepted). */
export function setPromiscuous(mmio: Mmio, on: boolean): void {
  const bits = F.FCTRL_UPE | F.FCTRL_MPE;
  const v = mmio.read32(F.FCTRL);
  mmio.write32(F.FCTRL, on ? v | bits : v & ~bits);
}
