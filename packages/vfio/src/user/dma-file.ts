/*
 * Checks on the file behind a DMA_MAP before the server maps it. A shared mapping of a file
 * raises SIGBUS when a page past the file's end is touched, and the device model touches client
 * memory from the server process, so a window that runs past the end of its file, or a file the
 * client shrinks after mapping it, would crash the whole server. So:
 *  - the file must be a regular file (memfd, hugetlbfs, tmpfs or disk file) that holds the
 *    whole window: offset + size <= st_size;
 *  - it must not be able to shrink while mapped: it must carry F_SEAL_SHRINK, or accept the
 *    seal now (a memfd made with MFD_ALLOW_SEALING: the server adds F_SEAL_SHRINK itself).
 * Files that cannot be sealed (hugetlbfs or tmpfs files opened by path, memfds made without
 * MFD_ALLOW_SEALING, disk files) are refused: nothing else stops another process from
 * truncating them under the mapping.
 */
import { fstatSync } from "node:fs";
import { Errno, fcntl, SysError } from "@dataplane/sys";

/** fcntl commands and seal bits (linux/fcntl.h). */
const F_ADD_SEALS = 1033;
const F_GET_SEALS = 1034;
const F_SEAL_SHRINK = 0x2;
const F_GETFL = 3;
const O_ACCMODE = 3;
const O_RDONLY = 0;

/** Why a DMA_MAP's file was refused: an errno for the reply and a sentence for the log. */
export interface FileRefusal {
  errno: number;
  why: string;
}

/** What the server learned about a usable file. */
export interface DmaFile {
  /** True when the fd was opened read-only: the window can only be mapped PROT_READ. */
  readOnly: boolean;
}

/**
 * Checks that `fd` can back a window of `size` bytes at file offset `offset` for as long as it
 * is mapped, sealing it against shrinking if it lets us. Returns the file's facts or a refusal.
 */
export function checkDmaFile(fd: number, offset: number, size: number): DmaFile | FileRefusal {
  let st: ReturnType<typeof fstatSync>;
  try {
    st = fstatSync(fd);
  } catch {
    return { errno: Errno.EBADF, why: "the fd sent with DMA_MAP cannot be examined (fstat)" };
  }
  if (!st.isFile()) {
    return {
      errno: Errno.EINVAL,
      why: "DMA_MAP needs a regular file (a memfd, hugetlbfs or tmpfs file); send the fd of the memory itself",
    };
  }
  if (offset + size > st.size) {
    return {
      errno: Errno.EINVAL,
      why: `DMA_MAP window (offset ${offset} + size ${size}) runs past the end of its file (${st.size} bytes); map only what the file holds`,
    };
  }
  let seals: number;
  try {
    seals = fcntl(fd, F_GET_SEALS);
  } catch {
    seals = -1; // not a memfd or shmem file: it cannot be sealed
  }
  if (seals >= 0 && (seals & F_SEAL_SHRINK) === 0) {
    try {
      fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK);
      seals |= F_SEAL_SHRINK;
    } catch (e) {
      if (!(e instanceof SysError)) throw e;
    }
  }
  if (seals < 0 || (seals & F_SEAL_SHRINK) === 0) {
    return {
      errno: Errno.EPERM,
      why:
        "DMA_MAP memory must not be able to shrink while mapped: send a memfd created with " +
        "MFD_ALLOW_SEALING (the server seals it with F_SEAL_SHRINK) or one already sealed",
    };
  }
  return { readOnly: (fcntl(fd, F_GETFL) & O_ACCMODE) === O_RDONLY };
}
