/* The guardian's start configuration (one JSON argument, checked with zod) and its line protocol. */
import { z } from "zod";
import { STOP_HOOKS } from "./stop-hooks.ts";

/** What the owner tells the guardian at start. */
export const GuardianConfig = z.object({
  /** The owner's pid: the process whose death triggers the stop. */
  owner: z.number().int().positive(),
  /** The device directory (config, resource0). */
  device: z.string().min(1),
  stop: z.enum(STOP_HOOKS),
  /** A file to append the guardian's event log to (JSON lines), or null. */
  log: z.string().min(1).nullable(),
});
export type GuardianConfig = z.infer<typeof GuardianConfig>;

/**
 * Owner -> guardian, one per line: `hold-fd <fd>` (take the owner's fd <fd>, a memfd or hugetlbfs
 * file), `hold-maps` (take every shared hugepage mapping the owner has now), `release` (the owner
 * stopped the device itself: let go without touching it, and exit).
 * Guardian -> owner: `ready`, `held <bytes>`, `error <message>`.
 */
export const Reply = {
  ready: "ready",
  held: "held",
  error: "error",
} as const;

/** The events the guardian logs, in the order they happen on the owner's death. */
export const EVENTS = [
  "started",
  "held",
  "owner-gone",
  "bus-master-cleared",
  "device-stopped",
  "memory-released",
  "released-by-owner",
] as const;
export type GuardEvent = (typeof EVENTS)[number];
