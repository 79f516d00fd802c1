/*
 * Prints the kernel and libc ABI facts that @dataplane/vfio and @dataplane/sys hard-code,
 * one per line, for test/kernel-abi.test.ts to compare with the TypeScript tables:
 *   ioctl <NAME> <value>         VFIO ioctl request numbers
 *   vfio <NAME> <value>          VFIO flag/id constants
 *   size <struct> <sizeof>
 *   field <struct>.<member> <offset> <size>   (size 0: trailing flexible array)
 *   sys <NAME> <value>           constants exported by @dataplane/sys
 *   errno <NAME> <value>
 * Build: gcc -Wall -o vfio-abi vfio-abi.c
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <linux/memfd.h>
#include <linux/mman.h> /* MAP_HUGE_2MB, MAP_HUGE_1GB */
#include <linux/vfio.h>

/* Each macro stringifies its own argument: through a helper macro the name would expand. */
#define IOCTL(name) printf("ioctl %s %lld\n", #name, (long long)(name))
#define VFIO(name) printf("vfio %s %lld\n", #name, (long long)(name))
#define SYS(name) printf("sys %s %lld\n", #name, (long long)(name))
#define ERRNO(name) printf("errno %s %lld\n", #name, (long long)(name))
#define SIZE(type) printf("size %s %zu\n", #type, sizeof(struct type))
#define FIELD(type, member)                                                        \
  printf("field %s.%s %zu %zu\n", #type, #member, offsetof(struct type, member), \
         sizeof(((struct type *)0)->member))
#define FLEX(type, member) printf("field %s.%s %zu 0\n", #type, #member, offsetof(struct type, member))

static void ioctls(void) {
  IOCTL(VFIO_GET_API_VERSION);
  IOCTL(VFIO_CHECK_EXTENSION);
  IOCTL(VFIO_SET_IOMMU);
  IOCTL(VFIO_GROUP_GET_STATUS);
  IOCTL(VFIO_GROUP_SET_CONTAINER);
  IOCTL(VFIO_GROUP_UNSET_CONTAINER);
  IOCTL(VFIO_GROUP_GET_DEVICE_FD);
  IOCTL(VFIO_DEVICE_GET_INFO);
  IOCTL(VFIO_DEVICE_GET_REGION_INFO);
  IOCTL(VFIO_DEVICE_GET_IRQ_INFO);
  IOCTL(VFIO_DEVICE_SET_IRQS);
  IOCTL(VFIO_DEVICE_RESET);
  IOCTL(VFIO_IOMMU_GET_INFO);
  IOCTL(VFIO_IOMMU_MAP_DMA);
  IOCTL(VFIO_IOMMU_UNMAP_DMA);
}

static void vfio_constants(void) {
  VFIO(VFIO_API_VERSION);
  VFIO(VFIO_TYPE1_IOMMU);
  VFIO(VFIO_TYPE1v2_IOMMU);
  VFIO(VFIO_NOIOMMU_IOMMU);
  VFIO(VFIO_UNMAP_ALL);
  VFIO(VFIO_GROUP_FLAGS_VIABLE);
  VFIO(VFIO_GROUP_FLAGS_CONTAINER_SET);
  VFIO(VFIO_DEVICE_FLAGS_RESET);
  VFIO(VFIO_DEVICE_FLAGS_PCI);
  VFIO(VFIO_DEVICE_FLAGS_CAPS);
  VFIO(VFIO_REGION_INFO_FLAG_READ);
  VFIO(VFIO_REGION_INFO_FLAG_WRITE);
  VFIO(VFIO_REGION_INFO_FLAG_MMAP);
  VFIO(VFIO_REGION_INFO_FLAG_CAPS);
  VFIO(VFIO_REGION_INFO_CAP_SPARSE_MMAP);
  VFIO(VFIO_REGION_INFO_CAP_TYPE);
  VFIO(VFIO_REGION_INFO_CAP_MSIX_MAPPABLE);
  VFIO(VFIO_IRQ_INFO_EVENTFD);
  VFIO(VFIO_IRQ_INFO_MASKABLE);
  VFIO(VFIO_IRQ_INFO_AUTOMASKED);
  VFIO(VFIO_IRQ_INFO_NORESIZE);
  VFIO(VFIO_IRQ_SET_DATA_NONE);
  VFIO(VFIO_IRQ_SET_DATA_BOOL);
  VFIO(VFIO_IRQ_SET_DATA_EVENTFD);
  VFIO(VFIO_IRQ_SET_ACTION_MASK);
  VFIO(VFIO_IRQ_SET_ACTION_UNMASK);
  VFIO(VFIO_IRQ_SET_ACTION_TRIGGER);
  VFIO(VFIO_DMA_MAP_FLAG_READ);
  VFIO(VFIO_DMA_MAP_FLAG_WRITE);
  VFIO(VFIO_DMA_UNMAP_FLAG_ALL);
  VFIO(VFIO_IOMMU_INFO_PGSIZES);
  VFIO(VFIO_IOMMU_INFO_CAPS);
  VFIO(VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE);
  VFIO(VFIO_IOMMU_TYPE1_INFO_DMA_AVAIL);
  VFIO(VFIO_PCI_BAR0_REGION_INDEX);
  VFIO(VFIO_PCI_ROM_REGION_INDEX);
  VFIO(VFIO_PCI_CONFIG_REGION_INDEX);
  VFIO(VFIO_PCI_NUM_REGIONS);
  VFIO(VFIO_PCI_INTX_IRQ_INDEX);
  VFIO(VFIO_PCI_MSI_IRQ_INDEX);
  VFIO(VFIO_PCI_MSIX_IRQ_INDEX);
  VFIO(VFIO_PCI_NUM_IRQS);
}

static void layouts(void) {
  SIZE(vfio_info_cap_header);
  FIELD(vfio_info_cap_header, id);
  FIELD(vfio_info_cap_header, version);
  FIELD(vfio_info_cap_header, next);
  SIZE(vfio_group_status);
  FIELD(vfio_group_status, argsz);
  FIELD(vfio_group_status, flags);
  SIZE(vfio_device_info);
  FIELD(vfio_device_info, argsz);
  FIELD(vfio_device_info, flags);
  FIELD(vfio_device_info, num_regions);
  FIELD(vfio_device_info, num_irqs);
  FIELD(vfio_device_info, cap_offset);
  SIZE(vfio_region_info);
  FIELD(vfio_region_info, argsz);
  FIELD(vfio_region_info, flags);
  FIELD(vfio_region_info, index);
  FIELD(vfio_region_info, cap_offset);
  FIELD(vfio_region_info, size);
  FIELD(vfio_region_info, offset);
  SIZE(vfio_region_sparse_mmap_area);
  FIELD(vfio_region_sparse_mmap_area, offset);
  FIELD(vfio_region_sparse_mmap_area, size);
  SIZE(vfio_region_info_cap_sparse_mmap);
  FIELD(vfio_region_info_cap_sparse_mmap, header);
  FIELD(vfio_region_info_cap_sparse_mmap, nr_areas);
  FIELD(vfio_region_info_cap_sparse_mmap, reserved);
  FLEX(vfio_region_info_cap_sparse_mmap, areas);
  SIZE(vfio_irq_info);
  FIELD(vfio_irq_info, argsz);
  FIELD(vfio_irq_info, flags);
  FIELD(vfio_irq_info, index);
  FIELD(vfio_irq_info, count);
  SIZE(vfio_irq_set);
  FIELD(vfio_irq_set, argsz);
  FIELD(vfio_irq_set, flags);
  FIELD(vfio_irq_set, index);
  FIELD(vfio_irq_set, start);
  FIELD(vfio_irq_set, count);
  FLEX(vfio_irq_set, data);
  SIZE(vfio_iommu_type1_info);
  FIELD(vfio_iommu_type1_info, argsz);
  FIELD(vfio_iommu_type1_info, flags);
  FIELD(vfio_iommu_type1_info, iova_pgsizes);
  FIELD(vfio_iommu_type1_info, cap_offset);
  SIZE(vfio_iova_range);
  FIELD(vfio_iova_range, start);
  FIELD(vfio_iova_range, end);
  SIZE(vfio_iommu_type1_info_cap_iova_range);
  FIELD(vfio_iommu_type1_info_cap_iova_range, header);
  FIELD(vfio_iommu_type1_info_cap_iova_range, nr_iovas);
  FIELD(vfio_iommu_type1_info_cap_iova_range, reserved);
  FLEX(vfio_iommu_type1_info_cap_iova_range, iova_ranges);
  SIZE(vfio_iommu_type1_info_dma_avail);
  FIELD(vfio_iommu_type1_info_dma_avail, header);
  FIELD(vfio_iommu_type1_info_dma_avail, avail);
  SIZE(vfio_iommu_type1_dma_map);
  FIELD(vfio_iommu_type1_dma_map, argsz);
  FIELD(vfio_iommu_type1_dma_map, flags);
  FIELD(vfio_iommu_type1_dma_map, vaddr);
  FIELD(vfio_iommu_type1_dma_map, iova);
  FIELD(vfio_iommu_type1_dma_map, size);
  SIZE(vfio_iommu_type1_dma_unmap);
  FIELD(vfio_iommu_type1_dma_unmap, argsz);
  FIELD(vfio_iommu_type1_dma_unmap, flags);
  FIELD(vfio_iommu_type1_dma_unmap, iova);
  FIELD(vfio_iommu_type1_dma_unmap, size);
  FLEX(vfio_iommu_type1_dma_unmap, data);
}

static void sys_constants(void) {
  SYS(O_RDONLY); SYS(O_WRONLY); SYS(O_RDWR); SYS(O_CREAT); SYS(O_EXCL); SYS(O_TRUNC);
  SYS(O_NONBLOCK); SYS(O_CLOEXEC); SYS(O_DIRECTORY); SYS(O_TMPFILE);
  SYS(F_GETFD); SYS(F_SETFD); SYS(F_GETFL); SYS(F_SETFL); SYS(FD_CLOEXEC); SYS(SEEK_SET);
  SYS(PROT_NONE); SYS(PROT_READ); SYS(PROT_WRITE);
  SYS(MAP_SHARED); SYS(MAP_PRIVATE); SYS(MAP_FIXED); SYS(MAP_ANONYMOUS); SYS(MAP_NORESERVE);
  SYS(MAP_POPULATE); SYS(MAP_LOCKED); SYS(MAP_HUGETLB); SYS(MAP_FIXED_NOREPLACE);
  SYS(MAP_HUGE_SHIFT); SYS(MAP_HUGE_2MB); SYS(MAP_HUGE_1GB);
  SYS(MREMAP_MAYMOVE); SYS(MREMAP_FIXED); SYS(MADV_DONTFORK); SYS(MADV_DONTDUMP);
  SYS(MFD_CLOEXEC); SYS(MFD_ALLOW_SEALING); SYS(MFD_HUGETLB); SYS(MFD_HUGE_2MB); SYS(MFD_HUGE_1GB);
  SYS(EFD_SEMAPHORE); SYS(EFD_NONBLOCK); SYS(EFD_CLOEXEC);
  SYS(AF_UNIX); SYS(SOCK_STREAM); SYS(SOCK_SEQPACKET); SYS(SOCK_NONBLOCK); SYS(SOCK_CLOEXEC);
  SYS(SOL_SOCKET); SYS(SCM_RIGHTS); SYS(SO_RCVTIMEO); SYS(SO_SNDTIMEO);
  SYS(MSG_CTRUNC); SYS(MSG_TRUNC); SYS(MSG_DONTWAIT); SYS(MSG_WAITALL); SYS(MSG_NOSIGNAL);
  SYS(MSG_CMSG_CLOEXEC); SYS(SHUT_RDWR);
  SYS(POLLIN); SYS(POLLOUT); SYS(POLLERR); SYS(POLLHUP); SYS(POLLNVAL);
  SYS(CLONE_NEWNS); SYS(MS_BIND); SYS(MS_REC); SYS(MS_PRIVATE); SYS(MNT_DETACH);
}

static void errnos(void) {
  ERRNO(EPERM); ERRNO(ENOENT); ERRNO(ESRCH); ERRNO(EINTR); ERRNO(EIO); ERRNO(ENXIO);
  ERRNO(E2BIG); ERRNO(ENOEXEC); ERRNO(EBADF); ERRNO(ECHILD); ERRNO(EAGAIN); ERRNO(ENOMEM);
  ERRNO(EACCES); ERRNO(EFAULT); ERRNO(EBUSY); ERRNO(EEXIST); ERRNO(EXDEV); ERRNO(ENODEV);
  ERRNO(ENOTDIR); ERRNO(EISDIR); ERRNO(EINVAL); ERRNO(ENFILE); ERRNO(EMFILE); ERRNO(ENOTTY);
  ERRNO(EFBIG); ERRNO(ENOSPC); ERRNO(ESPIPE); ERRNO(EROFS); ERRNO(EPIPE); ERRNO(ERANGE);
  ERRNO(EDEADLK); ERRNO(ENAMETOOLONG); ERRNO(ENOSYS); ERRNO(ENOMSG); ERRNO(EPROTO);
  ERRNO(EBADMSG); ERRNO(EOVERFLOW); ERRNO(ENOTSOCK); ERRNO(EMSGSIZE); ERRNO(EPROTONOSUPPORT);
  ERRNO(EOPNOTSUPP); ERRNO(ENOTSUP); ERRNO(EADDRINUSE); ERRNO(EADDRNOTAVAIL); ERRNO(ENETDOWN);
  ERRNO(ECONNABORTED); ERRNO(ECONNRESET); ERRNO(ENOBUFS); ERRNO(EISCONN); ERRNO(ENOTCONN);
  ERRNO(ESHUTDOWN); ERRNO(ETIMEDOUT); ERRNO(ECONNREFUSED); ERRNO(EHOSTUNREACH); ERRNO(EALREADY);
  ERRNO(EINPROGRESS);
}

int main(void) {
  ioctls();
  vfio_constants();
  layouts();
  sys_constants();
  errnos();
  return 0;
}
