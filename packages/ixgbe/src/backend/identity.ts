/* Refuses anything that is not an 82599-family function, before a single register is touched. */
import { IxgbeError } from "../errors.ts";
import { findDeviceId, INTEL_VENDOR_ID, SUPPORTED_DEVICE_IDS } from "../regs/pci.ts";

const hex4 = (v: number): string => v.toString(16).padStart(4, "0");

/** Throws UNSUPPORTED_DEVICE unless vendor 0x8086 with a device id from the 82599 table. */
export function checkIdentity(name: string, vendorId: number, deviceId: number): void {
  if (vendorId === INTEL_VENDOR_ID && findDeviceId(deviceId) !== undefined) return;
  const supported = SUPPORTED_DEVICE_IDS.map((e) => hex4(e.id)).join(", ");
  throw new IxgbeError(
    "UNSUPPORTED_DEVICE",
    `${name} is [${hex4(vendorId)}:${hex4(deviceId)}], not an Intel 82599-family NIC; ` +
      `supported: vendor 8086 with device ${supported}. Check the address with lspci -nn`,
  );
}
