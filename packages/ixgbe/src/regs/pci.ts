/**
 * PCI identity of the 82599 family: configuration-space offsets and bits the driver touches
 * and the table of device ids the driver accepts (vendor 0x8086).
 */

/** Intel's PCI vendor id. */
export const INTEL_VENDOR_ID = 0x8086;

/** Config space: Vendor ID (16 bit). */
export const PCI_VENDOR_ID = 0x00;
/** Config space: Device ID (16 bit). */
export const PCI_DEVICE_ID = 0x02;
/** Config space: Command (16 bit). */
export const PCI_COMMAND = 0x04;
/** Command.MEMORY (bit 1): memory space enable. */
export const PCI_COMMAND_MEMORY = 1 << 1;
/** Command.MASTER (bit 2): bus master enable, required for DMA. */
export const PCI_COMMAND_MASTER = 1 << 2;
/** Command.INTX_DISABLE (bit 10). */
export const PCI_COMMAND_INTX_DISABLE = 1 << 10;
/** Config space: Status (16 bit). */
export const PCI_STATUS = 0x06;
/** Status.CAP_LIST (bit 4): capability list present. */
export const PCI_STATUS_CAP_LIST = 1 << 4;
/** Config space: Revision ID (8 bit). */
export const PCI_REVISION_ID = 0x08;
/** Config space: class code, 24 bits starting at 0x09 (prog-if, subclass, base class). */
export const PCI_CLASS_PROG = 0x09;
/** Config space: base class byte. */
export const PCI_CLASS_BASE = 0x0b;
/** Base class of network controllers. */
export const PCI_BASE_CLASS_NETWORK = 0x02;
/** Config space: header type (8 bit). */
export const PCI_HEADER_TYPE = 0x0e;
/** Config space: BAR0 (low 32 bits of the 64-bit register BAR). */
export const PCI_BAR0 = 0x10;
/** Config space: BAR1 (high 32 bits of BAR0). */
export const PCI_BAR1 = 0x14;
/** Config space: capability pointer. */
export const PCI_CAPABILITY_LIST = 0x34;
/** BAR0 size a model exposes (512 KiB, as on X520 cards). */
export const BAR0_SIZE = 0x80000;
/** Number of MSI-X vectors of the 82599. */
export const MSIX_VECTORS = 64;

/** One supported device id with its marketing name. */
export interface DeviceIdEntry {
  /** PCI device id. */
  readonly id: number;
  /** Part name. */
  readonly name: string;
}

/** 82599ES SFI/SFP+ (X520-DA2/SR2): the common card and the id a model reports. */
export const DEVICE_ID_82599_SFP = 0x10fb;
/** Power-on device id before the EEPROM load. */
export const DEVICE_ID_82599_DEFAULT = 0x10d8;

/**
 * 82599 physical functions the driver accepts: the SFP+ variants, whose link is the 10G serial
 * (SFI) configuration link.ts programs. The 82598 and X550 families and the 82599 VF (0x10ED,
 * different register map) are not listed at all; other 82599/X540 parts are in
 * REFUSED_DEVICE_IDS with the reason.
 */
export const SUPPORTED_DEVICE_IDS: readonly DeviceIdEntry[] = [
  { id: 0x10fb, name: "82599ES SFI/SFP+" },
  { id: 0x1529, name: "82599 SFP FCoE" },
  { id: 0x1507, name: "82599 SFP EM" },
  { id: 0x154d, name: "82599 SFP SF2" },
  { id: 0x154a, name: "82599 SFP SF QP" },
  { id: 0x1557, name: "82599EN SFP" },
];

/**
 * ixgbe-family functions with the same register layout whose link the driver does not bring
 * up: backplane (KX4/KR, autonegotiated through AUTOC's backplane modes), CX4 and XAUI
 * (parallel 4-lane PMA), 10GBASE-T (an external PHY: 82599 T3 LOM, X540) and the QSFP and LS
 * parts (different module handling). Opening one is refused with its name rather than
 * programming the SFI link into it.
 */
export const REFUSED_DEVICE_IDS: readonly DeviceIdEntry[] = [
  { id: 0x10f7, name: "82599 KX4" },
  { id: 0x1514, name: "82599 KX4 mezzanine" },
  { id: 0x1517, name: "82599 KR" },
  { id: 0x10f8, name: "82599 combined backplane" },
  { id: 0x152a, name: "82599 backplane FCoE" },
  { id: 0x10f9, name: "82599 CX4" },
  { id: 0x10fc, name: "82599 XAUI LOM" },
  { id: 0x151c, name: "82599 T3 LOM" },
  { id: 0x1558, name: "82599 QSFP SF QP" },
  { id: 0x154f, name: "82599 LS" },
  { id: 0x1528, name: "X540-AT2" },
  { id: 0x1560, name: "X540-T1" },
];

/** Returns the entry for a family part the driver refuses, or undefined. */
export const findRefusedDeviceId = (deviceId: number): DeviceIdEntry | undefined =>
  REFUSED_DEVICE_IDS.find((e) => e.id === deviceId);

/** Returns the table entry for `deviceId`, or undefined when the driver does not support it. */
export const findDeviceId = (deviceId: number): DeviceIdEntry | undefined =>
  SUPPORTED_DEVICE_IDS.find((e) => e.id === deviceId);
