/*
 * Back-end over a sysfs device directory (real /sys/bus/pci/devices/<addr> without IOMMU, or a
 * sysfs-style directory a device model serves). DMA addresses are physical (pagemap), so this
 * path needs root; there are no interrupts.
 */
import { openDevice, type PciDevice } from "@dataplane/pci";
import { IxgbeError } from "../errors.ts";
import { lockDevice } from "./device-lock.ts";
import { checkIdentity } from "./identity.ts";
import { allocateHuge } from "./memory.ts";
import type { Backend, DmaBlock } from "./types.ts";

function physicalBlock(bytes: number, label: string): DmaBlock {
  const region = allocateHuge(bytes, label);
  let open = true;
  return {
    address: region.address,
    bytes: region.bytes,
    pageSize: region.pageSize,
    u8: region.u8,
    u32: region.u32,
    fd: region.fd,
    fdOffset: region.fdOffset,
    physicalAddress: (offset) => region.physicalAddress(offset),
    dma: { kind: "physical" },
    deviceAddress: (offset) => region.physicalAddress(offset),
    close() {
      if (!open) return;
      open = false;
      region.close();
    },
  };
}

/** Opens `spec` (a PCI address or sysfs:/dir) through sysfs with physical DMA addresses. */
export function sysfsBackend(spec: string, sysfsRoot?: string): Backend {
  let pci: PciDevice;
  try {
    pci = openDevice(spec, sysfsRoot === undefined ? {} : { root: sysfsRoot });
  } catch (cause) {
    throw new IxgbeError("DEVICE_FAULT", `cannot open ${spec}: ${(cause as Error).message}`, {
      cause,
    });
  }
  const { vendor, device, address } = pci.info;
  checkIdentity(address, vendor, device);
  // Before touching anything: a second driver on the same device is refused here.
  const lock = lockDevice(`${pci.info.dir}/resource0`, address);
  let bar0: ReturnType<PciDevice["mapResource"]>;
  try {
    pci.unbindDriver();
    pci.enableBusMaster();
    bar0 = pci.mapResource(0);
  } catch (cause) {
    lock.release();
    throw new IxgbeError(
      "DEVICE_FAULT",
      `setting up ${address} through sysfs (unbind, bus master, resource0) failed: ${(cause as Error).message}; this needs root`,
      { cause },
    );
  }
  let closed = false;
  return {
    kind: "sysfs",
    name: address,
    vendorId: vendor,
    deviceId: device,
    bar0,
    allocDma: physicalBlock,
    mapForeign: () => 0,
    irq: null,
    close() {
      if (closed) return;
      closed = true;
      bar0.close();
      lock.release();
    },
  };
}
