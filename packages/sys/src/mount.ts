/* Mount namespaces and bind mounts (used to lay a device directory over /sys/bus/pci/devices/X). */

import { CLONE_NEWNS, MNT_DETACH, MS_BIND, MS_PRIVATE, MS_REC } from "./constants.ts";
import { cstr } from "./cstring.ts";
import { check } from "./errors.ts";
import { libc } from "./libc.ts";

/** Moves the calling process into a new mount namespace whose mounts do not propagate back. */
export function unshareMounts(): void {
  check("unshare", libc.unshare(CLONE_NEWNS), "CLONE_NEWNS");
  check("mount", libc.mount(cstr("none"), cstr("/"), null, MS_REC | MS_PRIVATE, null), "/ private");
}

/** Bind-mounts `source` over `target`. */
export function bindMount(source: string, target: string): void {
  check(
    "mount",
    libc.mount(cstr(source), cstr(target), null, MS_BIND, null),
    `${source} -> ${target}`,
  );
}

/** Detaches the mount at `target`. */
export function unmount(target: string): void {
  check("umount2", libc.umount2(cstr(target), MNT_DETACH), target);
}
