/*
 * The VFIO container (one IOMMU address space) and its groups, shared by every device this
 * process opens under the same /dev/vfio directory and reference-counted: the last device
 * to close detaches its group and closes the container, which drops all IOMMU mappings.
 */
import { close, constants, ioctl, ioctlInt, open } from "@dataplane/sys";
import { VfioError } from "../errors.ts";
import { IOCTL, LAYOUTS, VFIO } from "./abi.ts";
import { DmaMappings } from "./dma.ts";
import { decodeIommuInfo, type IommuInfo, request } from "./structs.ts";

/** An attached IOMMU group. */
export interface Group {
  readonly fd: number;
  readonly number: number;
  refs: number;
}

/** An open container with its IOMMU set up. */
export interface Container {
  readonly fd: number;
  readonly dir: string;
  /** TYPE1v2_IOMMU (3) when offered, else TYPE1_IOMMU (1). */
  readonly iommuType: number;
  /** Set once the first group is attached and SET_IOMMU has run. */
  iommu: IommuInfo | null;
  readonly groups: Map<number, Group>;
  readonly dma: DmaMappings;
  refs: number;
}

const containers = new Map<string, Container>();

function openContainer(dir: string): Container {
  const fd = open(`${dir}/vfio`, constants.O_RDWR | constants.O_CLOEXEC);
  try {
    const version = ioctl(fd, IOCTL.GET_API_VERSION, null, "VFIO_GET_API_VERSION");
    if (version !== VFIO.API_VERSION) {
      throw new VfioError(
        "NO_VFIO",
        `${dir}/vfio speaks VFIO API ${version}, expected ${VFIO.API_VERSION}`,
      );
    }
    const has = (ext: number): boolean =>
      ioctlInt(fd, IOCTL.CHECK_EXTENSION, ext, "VFIO_CHECK_EXTENSION") > 0;
    const iommuType = has(VFIO.TYPE1v2_IOMMU)
      ? VFIO.TYPE1v2_IOMMU
      : has(VFIO.TYPE1_IOMMU)
        ? VFIO.TYPE1_IOMMU
        : 0;
    if (iommuType === 0) {
      throw new VfioError(
        "NO_VFIO",
        `${dir}/vfio offers no type1 IOMMU (no-IOMMU mode is not supported); enable the IOMMU with intel_iommu=on or amd_iommu=on`,
      );
    }
    return {
      fd,
      dir,
      iommuType,
      iommu: null,
      groups: new Map(),
      dma: new DmaMappings(fd),
      refs: 0,
    };
  } catch (e) {
    close(fd);
    throw e;
  }
}

/** IOMMU_GET_INFO, retried once with the argsz the kernel asks for so capabilities fit. */
export function queryIommuInfo(fd: number): IommuInfo {
  let buf = request(LAYOUTS.vfio_iommu_type1_info.size);
  ioctl(fd, IOCTL.IOMMU_GET_INFO, buf, "VFIO_IOMMU_GET_INFO");
  let info = decodeIommuInfo(buf);
  if (info.argsz > buf.byteLength) {
    buf = request(info.argsz);
    ioctl(fd, IOCTL.IOMMU_GET_INFO, buf, "VFIO_IOMMU_GET_INFO");
    info = decodeIommuInfo(buf);
  }
  return info;
}

function openGroup(container: Container, number: number): Group {
  const fd = open(`${container.dir}/${number}`, constants.O_RDWR | constants.O_CLOEXEC);
  try {
    const status = request(LAYOUTS.vfio_group_status.size);
    ioctl(fd, IOCTL.GROUP_GET_STATUS, status, "VFIO_GROUP_GET_STATUS");
    const flags = new DataView(status.buffer).getUint32(
      LAYOUTS.vfio_group_status.fields.flags.offset,
      true,
    );
    if ((flags & VFIO.GROUP_FLAGS_VIABLE) === 0) {
      throw new VfioError(
        "GROUP_NOT_VIABLE",
        `IOMMU group ${number} is not viable: every device in /sys/kernel/iommu_groups/${number}/devices must be bound to vfio-pci or to no driver`,
      );
    }
    if ((flags & VFIO.GROUP_FLAGS_CONTAINER_SET) === 0) {
      ioctl(
        fd,
        IOCTL.GROUP_SET_CONTAINER,
        new Int32Array([container.fd]),
        "VFIO_GROUP_SET_CONTAINER",
      );
    }
    if (container.iommu === null) {
      // SET_IOMMU is allowed only once a group is attached, and only once per container.
      ioctlInt(container.fd, IOCTL.SET_IOMMU, container.iommuType, "VFIO_SET_IOMMU");
      container.iommu = queryIommuInfo(container.fd);
      container.dma.setLimits(container.iommu);
    }
    return { fd, number, refs: 0 };
  } catch (e) {
    close(fd);
    throw e;
  }
}

/** Opens (or reuses) the container under `dir` and attaches IOMMU group `number` to it. */
export function acquireGroup(dir: string, number: number): { container: Container; group: Group } {
  const existing = containers.get(dir);
  const container = existing ?? openContainer(dir);
  try {
    const group = container.groups.get(number) ?? openGroup(container, number);
    container.groups.set(number, group);
    containers.set(dir, container);
    group.refs++;
    container.refs++;
    return { container, group };
  } catch (e) {
    if (existing === undefined) close(container.fd);
    throw e;
  }
}

/** Drops one reference; closes the group, then the container, when nobody uses them. */
export function releaseGroup(container: Container, group: Group): void {
  group.refs--;
  container.refs--;
  if (group.refs === 0) {
    container.groups.delete(group.number);
    close(group.fd);
  }
  if (container.refs === 0) {
    containers.delete(container.dir);
    container.dma.forget();
    close(container.fd);
  }
}
