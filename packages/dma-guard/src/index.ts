/* @dataplane/dma-guard public API: a guardian that stops a device's DMA when its owner dies. */
export { EVENTS, type GuardEvent } from "./config.ts";
export { deviceDir } from "./device.ts";
export { DmaGuardError, type DmaGuardErrorCode } from "./errors.ts";
export { DmaGuard, type DmaGuardOptions, type HoldableMemory } from "./guard.ts";
export { hugeMappings } from "./mappings.ts";
export { STOP_HOOKS, type StopHook } from "./stop-hooks.ts";
