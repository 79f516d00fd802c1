/*
 * PCI configuration space as served: the model's image (configSpace()) plus the per-byte mask of
 * bits a vfio-user client may write. The mask is what makes BAR sizing work (all-ones written,
 * size bits read back as 0) and limits the command register to the bits a driver sets.
 * A sysfs-mode client writes the config file directly; no mask applies there.
 */
import * as R from "@dataplane/ixgbe/regs";
import { barSizeMask, CAP, configSpace, MSIX_BAR, MSIX_BAR_BYTES } from "../model/config-space.ts";
import { BAR_BYTES } from "../model/register-map.ts";

/** Config space size served (PCIe extended space, no extended capabilities). */
export const CONFIG_BYTES = 4096;

function setMask(mask: Uint8Array, offset: number, value: number, bytes: number): void {
  for (let i = 0; i < bytes; i++) mask[offset + i] = (value >>> (8 * i)) & 0xff;
}

/** Per-byte writable bits of the served config space. */
export function configWritableMask(): Uint8Array {
  const mask = new Uint8Array(CONFIG_BYTES);
  // Command: I/O, memory, bus master, parity, SERR, INTx disable.
  setMask(mask, R.PCI_COMMAND, 0x0547, 2);
  mask[0x0c] = 0xff; // cache line size
  mask[0x0d] = 0xff; // latency timer
  setMask(mask, R.PCI_BAR0, barSizeMask(BAR_BYTES), 4);
  setMask(mask, R.PCI_BAR1, 0xffffffff, 4); // upper half of the 64-bit BAR0
  setMask(mask, 0x10 + 4 * MSIX_BAR, barSizeMask(MSIX_BAR_BYTES), 4);
  setMask(mask, 0x10 + 4 * (MSIX_BAR + 1), 0xffffffff, 4);
  mask[0x3c] = 0xff; // interrupt line
  setMask(mask, CAP.PM + 4, 0x0003, 2); // PMCSR power state
  setMask(mask, CAP.MSI + 2, 0x0071, 2); // MSI enable and multiple message enable
  setMask(mask, CAP.MSI + 4, 0xfffffffc, 4); // message address low
  setMask(mask, CAP.MSI + 8, 0xffffffff, 4); // message address high
  setMask(mask, CAP.MSI + 12, 0xffff, 2); // message data
  setMask(mask, CAP.MSIX + 2, 0xc000, 2); // MSI-X enable and function mask
  setMask(mask, CAP.PCIE + 8, 0xffff, 2); // device control
  setMask(mask, CAP.PCIE + 16, 0xffff, 2); // link control
  return mask;
}

/** Writes the model's image for PCI function `fn` into `bytes` (4096 of them). */
export function fillConfig(bytes: Uint8Array, fn: number): void {
  bytes.set(configSpace({ function: fn, size: CONFIG_BYTES }));
}

/** True when Command.Bus Master Enable is set: the device may DMA. */
export function busMasterEnabled(config: Uint8Array): boolean {
  return ((config[R.PCI_COMMAND] as number) & R.PCI_COMMAND_MASTER) !== 0;
}

/** Clears Bus Master Enable, as the kernel does when a driver releases a device. */
export function clearBusMaster(config: Uint8Array): void {
  config[R.PCI_COMMAND] = (config[R.PCI_COMMAND] as number) & ~R.PCI_COMMAND_MASTER;
}
