/* Refuses anything that is not a supported 82599 function, before a single register is touched. */
import { IxgbeError } from "../errors.ts";
import {
  findDeviceId,
  findRefusedDeviceId,
  INTEL_VENDOR_ID,
  SUPPORTED_DEVICE_IDS,
} from "../regs/pci.ts";

const hex4 = (v: number): string => v.toString(16).padStart(4, "0");

/**
 * Throws UNSUPPORTED_DEVICE unless vendor 0x8086 with a device id from the supported (SFP+)
 * table. A known ixgbe-family part whose link the driver cannot bring up is named as such.
 */
export function checkIdentity(name: string, vendorId: number, deviceId: number): void {
  if (vendorId === INTEL_VENDOR_ID && findDeviceId(deviceId) !== undefined) return;
  const supported = SUPPORTED_DEVICE_IDS.map((e) => hex4(e.id)).join(", ");
  const ids = `[${hex4(vendorId)}:${hex4(deviceId)}]`;
  const refused = vendorId === INTEL_VENDOR_ID ? findRefusedDeviceId(deviceId) : undefined;
  if (refused !== undefined) {
    throw new IxgbeError(
      "UNSUPPORTED_DEVICE",
      `${name} is ${ids}, an ${refused.name}: this driver brings the link up only on SFP+ (SFI) ` +
        `82599 variants (device ${supported}); use the kernel ixgbe driver for this card`,
    );
  }
  throw new IxgbeError(
    "UNSUPPORTED_DEVICE",
    `${name} is ${ids}, not an Intel 82599-family NIC; ` +
      `supported: vendor 8086 with device ${supported}. Check the address with lspci -nn`,
  );
}
