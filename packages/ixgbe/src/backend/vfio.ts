/*
 * Back-end over a VfioDevice (kernel VFIO or vfio-user). DMA memory is mapped where the device
 * layer places it: IOVA = the process virtual address, as ixy does, when the IOMMU reaches it
 * (kernel VFIO otherwise allocates an IOVA inside the IOMMU's windows). Each block keeps the
 * IOVA it got, and a pool another device sends from is mapped there too (mapForeign).
 */
import type { VfioDevice } from "@dataplane/vfio";
import { IxgbeError } from "../errors.ts";
import { PCI_COMMAND, PCI_COMMAND_MASTER, PCI_COMMAND_MEMORY } from "../regs/pci.ts";
import { checkIdentity } from "./identity.ts";
import { allocateHuge } from "./memory.ts";
import type { Backend, DmaBlock, ForeignMemory } from "./types.ts";

const REGION_BAR0 = 0;

function deviceFault(what: string, name: string, cause: unknown): IxgbeError {
  return new IxgbeError("DEVICE_FAULT", `${what} on ${name} failed: ${(cause as Error).message}`, {
    cause,
  });
}

function dmaBlock(dev: VfioDevice, bytes: number, label: string): DmaBlock {
  const region = allocateHuge(bytes, label);
  let iova: number;
  try {
    iova = dev.dmaMap(region);
  } catch (cause) {
    region.close();
    throw deviceFault(`DMA map of ${region.bytes} bytes for ${label}`, dev.name, cause);
  }
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
    dma: { kind: "iova", base: iova },
    deviceAddress: (offset) => iova + offset,
    close() {
      if (!open) return;
      open = false;
      try {
        dev.dmaUnmap(iova, region.bytes);
      } finally {
        region.close();
      }
    },
  };
}

/**
 * Wraps an opened VfioDevice: checks the ids, sets Memory Space and Bus Master Enable, maps
 * BAR0. Closes `dev` when any step fails.
 */
export function vfioBackend(dev: VfioDevice, kind: "kernel-vfio" | "vfio-user"): Backend {
  let bar0: ReturnType<VfioDevice["mapRegion"]>;
  let vendorId: number;
  let deviceId: number;
  try {
    vendorId = dev.readConfig(0x00, 2);
    deviceId = dev.readConfig(0x02, 2);
    checkIdentity(dev.name, vendorId, deviceId);
    const command = dev.readConfig(PCI_COMMAND, 2);
    const wanted = command | PCI_COMMAND_MASTER | PCI_COMMAND_MEMORY;
    if (wanted !== command) dev.writeConfig(PCI_COMMAND, 2, wanted);
    bar0 = dev.mapRegion(REGION_BAR0);
  } catch (e) {
    dev.close();
    if (e instanceof IxgbeError) throw e;
    throw deviceFault("setup (config space, bus master, BAR0 map)", dev.name, e);
  }
  let closed = false;
  return {
    kind,
    name: dev.name,
    vendorId,
    deviceId,
    bar0,
    allocDma: (bytes, label) => dmaBlock(dev, bytes, label),
    // At the owner's IOVA: the buffers' descriptors carry it (refused clearly when this
    // device's IOMMU cannot map it there).
    mapForeign: (memory: ForeignMemory) => dev.dmaMap(memory, memory.iova ?? memory.address),
    // vfio-user: the sparse areas are shared memory by protocol design, reads there reach
    // no device logic. Kernel VFIO maps the real BAR, where the silicon clears on read.
    ...(kind === "vfio-user" ? { plainRead: (offset: number) => bar0.word(offset) !== null } : {}),
    irq: dev,
    close() {
      if (closed) return;
      closed = true;
      try {
        bar0.close();
      } finally {
        dev.close();
      }
    },
  };
}
