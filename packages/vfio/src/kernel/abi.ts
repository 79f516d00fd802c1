/*
 * Kernel VFIO ABI (linux/vfio.h, x86-64) as data: ioctl request numbers, flag constants and
 * struct layouts. Names drop the VFIO_ prefix (this module is the namespace). Every value is
 * checked against the C header by test/kernel-abi.test.ts (gcc + test/abi/vfio-abi.c).
 */

/** VFIO ioctls are _IO(';', 100 + n): type 0x3b, no size or direction bits. */
const io = (n: number): number => (0x3b << 8) | (100 + n);

/**
 * ioctl request numbers. IOMMU_GET_INFO and IOMMU_MAP_DMA reuse the numbers of the device's
 * PCI hot-reset ioctls; the fd they are issued on (container or device) decides.
 */
export const IOCTL = {
  GET_API_VERSION: io(0), // container, no argument, returns API_VERSION
  CHECK_EXTENSION: io(1), // container, int by value, returns > 0 when supported
  SET_IOMMU: io(2), // container, int by value (IOMMU type)
  GROUP_GET_STATUS: io(3), // group, *vfio_group_status
  GROUP_SET_CONTAINER: io(4), // group, *int32 (the container fd)
  GROUP_UNSET_CONTAINER: io(5), // group, no argument
  GROUP_GET_DEVICE_FD: io(6), // group, *char (PCI name, NUL-terminated), returns the fd
  DEVICE_GET_INFO: io(7), // device, *vfio_device_info
  DEVICE_GET_REGION_INFO: io(8), // device, *vfio_region_info (+ capability space)
  DEVICE_GET_IRQ_INFO: io(9), // device, *vfio_irq_info
  DEVICE_SET_IRQS: io(10), // device, *vfio_irq_set + data
  DEVICE_RESET: io(11), // device, no argument
  IOMMU_GET_INFO: io(12), // container, *vfio_iommu_type1_info (+ capability space)
  IOMMU_MAP_DMA: io(13), // container, *vfio_iommu_type1_dma_map
  IOMMU_UNMAP_DMA: io(14), // container, *vfio_iommu_type1_dma_unmap
} as const;

/** Flag and id constants (the VFIO_ names without their prefix). */
export const VFIO = {
  API_VERSION: 0,
  TYPE1_IOMMU: 1,
  TYPE1v2_IOMMU: 3,
  NOIOMMU_IOMMU: 8,
  UNMAP_ALL: 9,
  GROUP_FLAGS_VIABLE: 1 << 0,
  GROUP_FLAGS_CONTAINER_SET: 1 << 1,
  DEVICE_FLAGS_RESET: 1 << 0,
  DEVICE_FLAGS_PCI: 1 << 1,
  DEVICE_FLAGS_CAPS: 1 << 7,
  REGION_INFO_FLAG_READ: 1 << 0,
  REGION_INFO_FLAG_WRITE: 1 << 1,
  REGION_INFO_FLAG_MMAP: 1 << 2,
  REGION_INFO_FLAG_CAPS: 1 << 3,
  REGION_INFO_CAP_SPARSE_MMAP: 1,
  REGION_INFO_CAP_TYPE: 2,
  REGION_INFO_CAP_MSIX_MAPPABLE: 3,
  IRQ_INFO_EVENTFD: 1 << 0,
  IRQ_INFO_MASKABLE: 1 << 1,
  IRQ_INFO_AUTOMASKED: 1 << 2,
  IRQ_INFO_NORESIZE: 1 << 3,
  IRQ_SET_DATA_NONE: 1 << 0,
  IRQ_SET_DATA_BOOL: 1 << 1,
  IRQ_SET_DATA_EVENTFD: 1 << 2,
  IRQ_SET_ACTION_MASK: 1 << 3,
  IRQ_SET_ACTION_UNMASK: 1 << 4,
  IRQ_SET_ACTION_TRIGGER: 1 << 5,
  DMA_MAP_FLAG_READ: 1 << 0,
  DMA_MAP_FLAG_WRITE: 1 << 1,
  DMA_UNMAP_FLAG_ALL: 1 << 1,
  IOMMU_INFO_PGSIZES: 1 << 0,
  IOMMU_INFO_CAPS: 1 << 1,
  IOMMU_TYPE1_INFO_CAP_IOVA_RANGE: 1,
  IOMMU_TYPE1_INFO_DMA_AVAIL: 3,
  PCI_BAR0_REGION_INDEX: 0,
  PCI_ROM_REGION_INDEX: 6,
  PCI_CONFIG_REGION_INDEX: 7,
  PCI_NUM_REGIONS: 9,
  PCI_INTX_IRQ_INDEX: 0,
  PCI_MSI_IRQ_INDEX: 1,
  PCI_MSIX_IRQ_INDEX: 2,
  PCI_NUM_IRQS: 5,
} as const;

/** One struct member: byte offset and size (size 0 marks a trailing flexible array). */
export interface Field {
  readonly offset: number;
  readonly size: number;
}

/** A struct: its sizeof and its members by name. */
export interface Layout {
  readonly size: number;
  readonly fields: Readonly<Record<string, Field>>;
}

const f = (offset: number, size: number): Field => ({ offset, size });

/** Struct layouts (little-endian, natural alignment), named as in linux/vfio.h. */
export const LAYOUTS = {
  vfio_info_cap_header: { size: 8, fields: { id: f(0, 2), version: f(2, 2), next: f(4, 4) } },
  vfio_group_status: { size: 8, fields: { argsz: f(0, 4), flags: f(4, 4) } },
  vfio_device_info: {
    size: 20,
    fields: {
      argsz: f(0, 4),
      flags: f(4, 4),
      num_regions: f(8, 4),
      num_irqs: f(12, 4),
      cap_offset: f(16, 4),
    },
  },
  vfio_region_info: {
    size: 32,
    fields: {
      argsz: f(0, 4),
      flags: f(4, 4),
      index: f(8, 4),
      cap_offset: f(12, 4),
      size: f(16, 8),
      offset: f(24, 8),
    },
  },
  vfio_region_sparse_mmap_area: { size: 16, fields: { offset: f(0, 8), size: f(8, 8) } },
  vfio_region_info_cap_sparse_mmap: {
    size: 16,
    fields: { header: f(0, 8), nr_areas: f(8, 4), reserved: f(12, 4), areas: f(16, 0) },
  },
  vfio_irq_info: {
    size: 16,
    fields: { argsz: f(0, 4), flags: f(4, 4), index: f(8, 4), count: f(12, 4) },
  },
  vfio_irq_set: {
    size: 20,
    fields: {
      argsz: f(0, 4),
      flags: f(4, 4),
      index: f(8, 4),
      start: f(12, 4),
      count: f(16, 4),
      data: f(20, 0),
    },
  },
  vfio_iommu_type1_info: {
    size: 24,
    fields: { argsz: f(0, 4), flags: f(4, 4), iova_pgsizes: f(8, 8), cap_offset: f(16, 4) },
  },
  vfio_iova_range: { size: 16, fields: { start: f(0, 8), end: f(8, 8) } },
  vfio_iommu_type1_info_cap_iova_range: {
    size: 16,
    fields: { header: f(0, 8), nr_iovas: f(8, 4), reserved: f(12, 4), iova_ranges: f(16, 0) },
  },
  vfio_iommu_type1_info_dma_avail: { size: 12, fields: { header: f(0, 8), avail: f(8, 4) } },
  vfio_iommu_type1_dma_map: {
    size: 32,
    fields: { argsz: f(0, 4), flags: f(4, 4), vaddr: f(8, 8), iova: f(16, 8), size: f(24, 8) },
  },
  vfio_iommu_type1_dma_unmap: {
    size: 24,
    fields: { argsz: f(0, 4), flags: f(4, 4), iova: f(8, 8), size: f(16, 8), data: f(24, 0) },
  },
} as const satisfies Readonly<Record<string, Layout>>;
