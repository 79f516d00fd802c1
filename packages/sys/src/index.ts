/* @dataplane/sys public API: libc through bun:ffi. The only package that calls dlopen. */

export {
  issueSentence,
  optionErrorSentence,
  type ValidationIssue,
  versionLine,
} from "./cli-errors.ts";
export * as constants from "./constants.ts";
export { cstr } from "./cstring.ts";
export { Errno, type ErrnoName, errnoName, lastErrno, strerror } from "./errno.ts";
export { check, SysError } from "./errors.ts";
export { eventfd, eventfdRead, eventfdWrite } from "./eventfd.ts";
export {
  close,
  dup,
  fcntl,
  fileSize,
  flock,
  ftruncate,
  LOCK_EX,
  LOCK_NB,
  LOCK_SH,
  LOCK_UN,
  lseek,
  open,
  pread,
  pwrite,
  read,
  readInto,
  readvInto,
  setNonBlocking,
  unlink,
  write,
  writeFrom,
} from "./fd.ts";
export { ioctl, ioctlInt } from "./ioctl.ts";
export { addressOf, copyMemory, fillMemory, viewOf } from "./memory.ts";
export { madvise, memfdCreate, mlock, mmap, mremap, munlock, munmap } from "./mman.ts";
export { bindMount, unmount, unshareMounts } from "./mount.ts";
export { PollSet, pollOne } from "./poll.ts";
export {
  allowedCpus,
  currentCpu,
  geteuid,
  getpid,
  gettid,
  pidfdOpen,
  pinThread,
} from "./process.ts";
export {
  accept,
  bindUnix,
  connectUnix,
  listen,
  MAX_FDS_PER_MESSAGE,
  type Received,
  recvMessage,
  sendAll,
  sendMessage,
  setSocketTimeouts,
  shutdown,
  socketPair,
  unixSocket,
} from "./socket.ts";
