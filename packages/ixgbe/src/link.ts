/*
 * Link setup and status (datasheet §4.6.4): pick 10G serial (SFI) in AUTOC, restart
 * autonegotiation, then read LINKS. The wait is bounded and explains itself when it expires.
 */
import type { Mmio } from "@dataplane/pci";
import { hex32, IxgbeError } from "./errors.ts";
import * as M from "./regs/mac.ts";
import { pollUntil } from "./wait.ts";

/** Link state from LINKS. */
export interface LinkStatus {
  /** LINKS.LINK_UP. */
  readonly up: boolean;
  /** 10000, 1000, 100, or 0 when down/unknown. */
  readonly speedMbps: number;
  /** The raw LINKS value. */
  readonly links: number;
}

/** Decodes a LINKS value. */
export function decodeLinks(links: number): LinkStatus {
  const up = (links & M.LINKS_UP) !== 0;
  let speedMbps = 0;
  if (up) {
    const s = links & M.LINKS_SPEED_MASK;
    if (s === M.LINKS_SPEED_10G) speedMbps = 10_000;
    else if (s === M.LINKS_SPEED_1G) speedMbps = 1000;
    else if (s === M.LINKS_SPEED_100M) speedMbps = 100;
  }
  return { up, speedMbps, links: links >>> 0 };
}

/** Reads the link state. */
export const readLink = (mmio: Mmio): LinkStatus => decodeLinks(mmio.read32(M.LINKS));

/** Selects 10G serial with the XAUI parallel PMA/PMD and restarts autonegotiation. */
export function initLink(mmio: Mmio): void {
  let autoc = mmio.read32(M.AUTOC);
  autoc = (autoc & ~M.AUTOC_LMS_MASK) | M.AUTOC_LMS_10G_SERIAL;
  autoc = (autoc & ~M.AUTOC_10G_PMA_PMD_MASK) | M.AUTOC_10G_XAUI;
  mmio.write32(M.AUTOC, autoc);
  // Mode first, then Restart_AN so the new mode is what gets negotiated.
  mmio.write32(M.AUTOC, autoc | M.AUTOC_AN_RESTART);
}

/** Polls LINKS every 10 ms until the link is up. Throws LINK_TIMEOUT with the last state. */
export async function waitForLink(
  mmio: Mmio,
  timeoutMs: number,
  name: string,
): Promise<LinkStatus> {
  const r = await pollUntil(
    () => mmio.read32(M.LINKS),
    (v) => (v & M.LINKS_UP) !== 0,
    timeoutMs,
    10,
  );
  if (r.ok) return decodeLinks(r.value);
  throw new IxgbeError(
    "LINK_TIMEOUT",
    `${name}: link still down after ${timeoutMs} ms (LINKS = ${hex32(r.value)}, link-up bit 30 clear); ` +
      "check the cable/SFP+ module and the peer, raise timeouts.linkMs, or pass waitForLink: false to open without a link",
  );
}
