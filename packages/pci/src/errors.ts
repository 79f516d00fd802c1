/* PciError: every failure of @dataplane/pci, with a code and a message that says what to do. */

/** What went wrong, for callers that branch on it. */
export type PciErrorCode =
  | "NO_DEVICE" // the directory or address does not exist
  | "NOT_A_DEVICE_DIR" // the directory exists but has no `config` file
  | "BAD_SPEC" // a device spec that is neither `sysfs:<dir>` nor a PCI address
  | "BAD_OFFSET" // config or BAR offset out of range or misaligned
  | "BAD_VALUE" // a value that does not fit the access width
  | "NO_RESOURCE" // resourceN missing or empty
  | "NOT_ROOT" // permission denied on a file that needs root
  | "IO"; // any other failed read/write/mmap of a sysfs file

/** A failed PCI operation. `cause` keeps the SysError or fs error when there was one. */
export class PciError extends Error {
  constructor(
    readonly code: PciErrorCode,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = "PciError";
  }
}

/** True for EACCES/EPERM from either node:fs or @dataplane/sys. */
export function isPermissionError(e: unknown): boolean {
  const code = (e as { code?: unknown } | null)?.code;
  return code === "EACCES" || code === "EPERM";
}

/** Wraps a failed file operation as NOT_ROOT (permission) or IO (anything else). */
export function fileError(what: string, path: string, e: unknown): PciError {
  if (isPermissionError(e)) {
    return new PciError(
      "NOT_ROOT",
      `${what} ${path}: permission denied; run as root (or give this user access to the file)`,
      { cause: e },
    );
  }
  const detail = e instanceof Error ? e.message : String(e);
  return new PciError("IO", `${what} ${path} failed: ${detail}`, { cause: e });
}
