/*
 * The PCI configuration space image of an 82599ES function (fact sheet §1.2): IDs 8086:10FB,
 * class 0x020000, a 64-bit non-prefetchable BAR0 of 512 KiB, the MSI-X table and PBA in a
 * 16 KiB BAR4, and the capability chain PM (0x40) -> MSI (0x50) -> MSI-X (0x70) -> PCIe (0xA0).
 * Capability offsets follow what lspci shows for X520 cards; the server serves this image.
 */
import * as R from "@dataplane/ixgbe/regs";
import { IxgbeSimError } from "../errors.ts";

/** Capability offsets in the image. */
export const CAP = { PM: 0x40, MSI: 0x50, MSIX: 0x70, PCIE: 0xa0 } as const;
/** BAR holding the MSI-X table (offset 0) and PBA (offset 0x2000). */
export const MSIX_BAR = 4;
/** Size of the MSI-X BAR in bytes. */
export const MSIX_BAR_BYTES = 0x4000;
/** Offset of the PBA inside the MSI-X BAR. */
export const MSIX_PBA_OFFSET = 0x2000;

/** What configSpace() builds. */
export interface ConfigSpaceOptions {
  /** PCI function (0 or 1): the interrupt pin differs. Default 0. */
  readonly function?: number;
  /** 256 (conventional) or 4096 (PCIe extended, no extended capabilities). Default 4096. */
  readonly size?: 256 | 4096;
  /** MSI-X vectors advertised. Default 64. */
  readonly msixVectors?: number;
}

/** Returns a fresh configuration space image (little-endian). Throws BAD_OPTION on bad input. */
export function configSpace(options: ConfigSpaceOptions = {}): Uint8Array {
  const fn = options.function ?? 0;
  const size = options.size ?? 4096;
  const vectors = options.msixVectors ?? R.MSIX_VECTORS;
  if ((fn !== 0 && fn !== 1) || (size !== 256 && size !== 4096) || vectors < 1 || vectors > 2048) {
    throw new IxgbeSimError(
      "BAD_OPTION",
      `configSpace(function ${fn}, size ${size}, msixVectors ${vectors}): use function 0|1, size 256|4096, 1..2048 vectors`,
    );
  }
  const img = new Uint8Array(size);
  const v = new DataView(img.buffer);
  v.setUint16(R.PCI_VENDOR_ID, R.INTEL_VENDOR_ID, true);
  v.setUint16(R.PCI_DEVICE_ID, R.DEVICE_ID_82599_SFP, true);
  v.setUint16(R.PCI_COMMAND, 0, true);
  v.setUint16(R.PCI_STATUS, R.PCI_STATUS_CAP_LIST, true);
  img[R.PCI_REVISION_ID] = 0x01;
  img[R.PCI_CLASS_PROG] = 0x00;
  img[R.PCI_CLASS_PROG + 1] = 0x00; // subclass: Ethernet
  img[R.PCI_CLASS_BASE] = R.PCI_BASE_CLASS_NETWORK;
  img[0x0c] = 0x10; // cache line size (64 bytes)
  img[R.PCI_HEADER_TYPE] = 0x80; // multi-function: two ports
  v.setUint32(R.PCI_BAR0, 0x4, true); // memory, 64-bit, non-prefetchable; address 0 until assigned
  v.setUint32(R.PCI_BAR1, 0, true);
  v.setUint32(0x10 + 4 * MSIX_BAR, 0x4, true);
  v.setUint16(0x2c, R.INTEL_VENDOR_ID, true); // subsystem vendor
  v.setUint16(0x2e, 0x0003, true); // subsystem id (model value)
  img[R.PCI_CAPABILITY_LIST] = CAP.PM;
  img[0x3d] = fn + 1; // INTA for function 0, INTB for function 1
  // Power management: version 3, PMCSR = D0.
  img[CAP.PM] = 0x01;
  img[CAP.PM + 1] = CAP.MSI;
  v.setUint16(CAP.PM + 2, 0x0003, true);
  // MSI: 64-bit, per-vector masking, one message.
  img[CAP.MSI] = 0x05;
  img[CAP.MSI + 1] = CAP.MSIX;
  v.setUint16(CAP.MSI + 2, 0x0180, true);
  // MSI-X: table size - 1, table in BAR4 at 0, PBA in BAR4 at 0x2000.
  img[CAP.MSIX] = 0x11;
  img[CAP.MSIX + 1] = CAP.PCIE;
  v.setUint16(CAP.MSIX + 2, vectors - 1, true);
  v.setUint32(CAP.MSIX + 4, MSIX_BAR, true);
  v.setUint32(CAP.MSIX + 8, MSIX_PBA_OFFSET | MSIX_BAR, true);
  // PCIe v2 endpoint, 512-byte max payload, FLR; link 5 GT/s x8.
  img[CAP.PCIE] = 0x10;
  img[CAP.PCIE + 1] = 0x00;
  v.setUint16(CAP.PCIE + 2, 0x0002, true);
  v.setUint32(CAP.PCIE + 4, 0x10000002, true); // device capabilities
  v.setUint16(CAP.PCIE + 8, 0x2000, true); // device control: MRRS 512
  v.setUint16(CAP.PCIE + 10, 0x0000, true); // device status: no transaction pending
  v.setUint32(CAP.PCIE + 12, 0x00000082, true); // link capabilities
  v.setUint16(CAP.PCIE + 18, 0x0082, true); // link status
  return img;
}

/** Size mask a BAR answers with after an all-ones write (low dword of a 64-bit BAR). */
export function barSizeMask(bytes: number): number {
  return (~(bytes - 1) & 0xfffffff0) >>> 0;
}
