/*
 * Shared memory behind BAR0 (and the config file of a sysfs-style directory): a memfd for
 * vfio-user, whose fd the server hands to the client for the mmappable queue pages, or a file
 * on tmpfs that a sysfs-mode client maps as resource0. This process maps it too; the Port's
 * register file is that mapping, so client stores land in the model's `bar` directly.
 */
import {
  constants as C,
  close,
  ftruncate,
  memfdCreate,
  mmap,
  munmap,
  open,
  viewOf,
} from "@dataplane/sys";
import { IxgbeSimError } from "../errors.ts";

/** A MAP_SHARED mapping of an fd this object owns. */
export class SharedFile {
  /** The backing fd (kept open: the vfio-user server sends it with the region info). */
  readonly fd: number;
  /** Native address of the mapping. */
  readonly address: number;
  /** Size in bytes. */
  readonly bytes: number;
  /** The whole mapping as bytes. */
  readonly u8: Uint8Array;
  /** The whole mapping as 32-bit words. */
  readonly u32: Uint32Array;
  private closed = false;

  private constructor(fd: number, bytes: number, what: string) {
    this.fd = fd;
    this.bytes = bytes;
    try {
      ftruncate(fd, bytes);
      this.address = mmap(bytes, C.PROT_READ | C.PROT_WRITE, C.MAP_SHARED, fd, 0);
    } catch (e) {
      close(fd);
      throw new IxgbeSimError(
        "SERVE_FAILED",
        `cannot size and map ${what}: ${(e as Error).message}`,
        {
          cause: e,
        },
      );
    }
    const buffer = viewOf(this.address, bytes);
    this.u8 = new Uint8Array(buffer);
    this.u32 = new Uint32Array(buffer);
  }

  /** Anonymous shared memory (memfd_create), zero-filled. */
  static memfd(name: string, bytes: number): SharedFile {
    return new SharedFile(memfdCreate(name, C.MFD_CLOEXEC), bytes, `memfd ${name}`);
  }

  /** A file at `path`, created or truncated to `bytes` (zero-filled). */
  static file(path: string, bytes: number): SharedFile {
    let fd: number;
    try {
      fd = open(path, C.O_RDWR | C.O_CREAT | C.O_CLOEXEC, 0o600);
    } catch (e) {
      throw new IxgbeSimError("SERVE_FAILED", `cannot create ${path}: ${(e as Error).message}`, {
        cause: e,
      });
    }
    ftruncate(fd, 0); // drop old contents: a fresh device starts from zeros
    return new SharedFile(fd, bytes, path);
  }

  /** Unmaps and closes the fd. Idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    munmap(this.address, this.bytes);
    close(this.fd);
  }

  [Symbol.dispose](): void {
    this.close();
  }
}
