/*
 * Fault injection switches and the fault log. The datapath checks one integer per DMA access
 * (`dmaArmed`) and per descriptor (`malArmed`), so the switches cost nothing while unarmed.
 * Log entries are objects: they are made only when something has gone wrong.
 */

/** Where a DMA access goes. */
export type DmaTarget = "rx-ring" | "rx-buffer" | "tx-ring" | "tx-buffer" | "tx-head-writeback";

/** Bit per DMA target, for the injection mask. */
export const T = {
  RX_RING: 1,
  RX_BUFFER: 2,
  TX_RING: 4,
  TX_BUFFER: 8,
  TX_HEAD_WB: 16,
} as const;

const TARGET_NAMES: readonly [number, DmaTarget][] = [
  [T.RX_RING, "rx-ring"],
  [T.RX_BUFFER, "rx-buffer"],
  [T.TX_RING, "tx-ring"],
  [T.TX_BUFFER, "tx-buffer"],
  [T.TX_HEAD_WB, "tx-head-writeback"],
];

/** Defects a descriptor can have (found in host memory or injected). */
export type MalformedKind =
  | "zero-length"
  | "null-address"
  | "oversize"
  | "too-many-segments"
  | "bad-type"
  | "unsupported-offload"
  | "bad-context"
  | "bad-ring";

/** Injectable descriptor defects, as codes for the per-descriptor check. */
export const M = { NONE: 0, ZERO_LENGTH: 1, NULL_ADDRESS: 2, OVERSIZE: 3 } as const;

/** What the model did about a fault. */
export type FaultAction = "frame-dropped" | "queue-stopped" | "data-lost";

/** One logged fault. */
export interface FaultRecord {
  /** Model clock, ns. */
  readonly timeNs: number;
  /** "dma": an address did not resolve; "malformed": a descriptor or ring setting was bad. */
  readonly type: "dma" | "malformed";
  /** DMA target or descriptor defect. */
  readonly what: DmaTarget | MalformedKind;
  /** "rx" or "tx". */
  readonly direction: "rx" | "tx";
  /** Queue number. */
  readonly queue: number;
  /** Device address involved (hex), or "" when none. */
  readonly address: string;
  /**
   * What the model did about it: dropped the frame, stopped the queue (descriptor ring
   * faults), or lost the data of a posted buffer write while the descriptor was still written
   * back (RX buffer faults, as the card, which never learns of an IOMMU fault).
   */
  readonly action: FaultAction;
  /** True when the fault came from an injection switch. */
  readonly injected: boolean;
}

/** Which DMA accesses an injected fault hits. */
export interface DmaFaultSpec {
  /** How many accesses fail (default 1). */
  readonly count?: number;
  /** Targets to hit (default: every target). */
  readonly targets?: readonly DmaTarget[];
}

/** Which descriptor an injected defect lands on. */
export interface MalformedSpec {
  /** The defect (TX: all three; RX: "null-address"). */
  readonly kind: "zero-length" | "null-address" | "oversize";
  /** "rx" or "tx" (default "tx"). */
  readonly direction?: "rx" | "tx";
  /** Queue (default: any queue). */
  readonly queue?: number;
  /** How many descriptors (default 1). */
  readonly count?: number;
}

/** Injection state and the bounded fault log of one port. */
export class FaultUnit {
  /** Remaining injected DMA faults. */
  dmaArmed = 0;
  /** Targets they apply to (T bits). */
  dmaMask = 0;
  /** Remaining injected descriptor defects. */
  malArmed = 0;
  /** The defect (M code). */
  malKind = 0;
  /** 0 = rx, 1 = tx. */
  malDir = 1;
  /** Queue, or -1 for any. */
  malQueue = -1;
  /** Most recent faults, oldest first. */
  readonly log: FaultRecord[] = [];

  constructor(private readonly limit: number) {}

  /** Arms `spec.count` DMA faults. */
  armDma(spec: DmaFaultSpec): void {
    const targets = spec.targets ?? TARGET_NAMES.map(([, n]) => n);
    let mask = 0;
    for (const [bit, name] of TARGET_NAMES) if (targets.includes(name)) mask |= bit;
    this.dmaMask = mask;
    this.dmaArmed = spec.count ?? 1;
  }

  /** Arms descriptor defects. */
  armMalformed(spec: MalformedSpec): void {
    const kinds = {
      "zero-length": M.ZERO_LENGTH,
      "null-address": M.NULL_ADDRESS,
      oversize: M.OVERSIZE,
    };
    this.malKind = kinds[spec.kind];
    this.malDir = spec.direction === "rx" ? 0 : 1;
    this.malQueue = spec.queue ?? -1;
    this.malArmed = spec.count ?? 1;
  }

  /** Consumes one injected DMA fault if one is armed for `target`. */
  takeDma(target: number): boolean {
    if (this.dmaArmed > 0 && (this.dmaMask & target) !== 0) {
      this.dmaArmed--;
      return true;
    }
    return false;
  }

  /** Consumes one injected defect for (dir, q); returns its M code or M.NONE. */
  takeMalformed(dir: number, q: number): number {
    if (this.malArmed > 0 && this.malDir === dir && (this.malQueue < 0 || this.malQueue === q)) {
      this.malArmed--;
      return this.malKind;
    }
    return M.NONE;
  }

  /** Appends to the log, dropping the oldest entry beyond the limit. */
  record(entry: FaultRecord): void {
    if (this.log.length >= this.limit) this.log.shift();
    this.log.push(entry);
  }

  /** Name of a T bit. */
  static targetName(bit: number): DmaTarget {
    for (const [b, name] of TARGET_NAMES) if (b === bit) return name;
    return "rx-buffer";
  }

  /** Clears switches (not the log). */
  disarm(): void {
    this.dmaArmed = 0;
    this.malArmed = 0;
  }
}

/** Formats a 64-bit device address given as halves. */
export function hexAddress(lo: number, hi: number): string {
  return `0x${hi.toString(16)}${(lo >>> 0).toString(16).padStart(8, "0")}`;
}
