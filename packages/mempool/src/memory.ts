/*
 * What a pool needs from its memory (a structural shape a @dataplane/hugemem region satisfies),
 * how the device addresses it, and the one-time computation of every buffer's DMA address.
 */
import { MempoolError } from "./errors.ts";
import { DATA_ALIGN, type Layout } from "./layout.ts";

/**
 * Memory a pool can carve into buffers. A @dataplane/hugemem `HugeRegion` has this shape.
 * The pool never unmaps it unless created with `ownsMemory: true`.
 */
export interface MempoolMemory {
  /** Virtual address of the first byte in this process. */
  readonly address: number;
  /** Length in bytes. */
  readonly bytes: number;
  /** Page size in bytes (4096, 2 MiB, 1 GiB): the unit of physical contiguity. */
  readonly pageSize: number;
  /** A view of the whole memory; `u8[k]` is the byte at `address + k`. */
  readonly u8: Uint8Array;
  /** Physical address of the byte at `offset`; only called for `{ kind: "physical" }`. */
  physicalAddress(offset: number): number;
  /** Releases the memory; called by the pool's close() only when the pool owns it. */
  close?(): void;
}

/**
 * How the device sees the memory. `physical`: bus address = physical address (sysfs access,
 * no IOMMU; needs root for pagemap). `iova`: the memory was DMA-mapped so the device sees byte
 * `offset` at `base + offset` (kernel VFIO, vfio-user); `base` is what dmaMap returned.
 */
export type DmaStrategy =
  | { readonly kind: "physical" }
  | { readonly kind: "iova"; readonly base: number };

/** Per-buffer addresses, computed once. */
export interface BufferAddresses {
  readonly dataOffset: Uint32Array;
  readonly dmaLo: Uint32Array;
  readonly dmaHi: Uint32Array;
}

const TWO_32 = 2 ** 32;

/** Checks the memory's shape and the strategy's kind before any layout work. Throws BAD_ARGUMENT. */
export function checkMemory(memory: MempoolMemory | undefined, dma: DmaStrategy | undefined): void {
  if (memory === undefined || !(memory.u8 instanceof Uint8Array)) {
    throw new MempoolError(
      "BAD_ARGUMENT",
      "options.memory must have address, bytes, pageSize, u8 and physicalAddress (a @dataplane/hugemem region does)",
    );
  }
  if (memory.u8.byteLength < memory.bytes || memory.u8.byteOffset % 4 !== 0) {
    throw new MempoolError(
      "BAD_ARGUMENT",
      `memory.u8 (${memory.u8.byteLength} B at byte offset ${memory.u8.byteOffset}) must cover memory.bytes (${memory.bytes}) and be 4-byte aligned`,
    );
  }
  if (dma?.kind !== "physical" && dma?.kind !== "iova") {
    throw new MempoolError(
      "BAD_ARGUMENT",
      `options.dma must be { kind: "physical" } or { kind: "iova", base }, got ${JSON.stringify(dma)}`,
    );
  }
}

/** Works out each buffer's data offset and DMA address. Throws BAD_ADDRESS / BAD_ARGUMENT. */
export function computeAddresses(
  memory: MempoolMemory,
  layout: Layout,
  dma: DmaStrategy,
): BufferAddresses {
  const { count, start, bufferSize, headroom } = layout;
  const dataOffset = new Uint32Array(count);
  const dmaLo = new Uint32Array(count);
  const dmaHi = new Uint32Array(count);
  const physical = dma.kind === "physical";
  const base = physical ? 0 : dma.base;
  if (!physical && (!Number.isSafeInteger(base) || base < 0)) {
    throw new MempoolError(
      "BAD_ARGUMENT",
      `iova base ${base} is not a non-negative integer; pass the IOVA that dmaMap returned for this memory`,
    );
  }
  for (let i = 0; i < count; i++) {
    const bufferOffset = start + i * bufferSize;
    const offset = bufferOffset + headroom;
    const address = physical
      ? physicalOf(memory, offset, bufferOffset + bufferSize - 1)
      : base + offset;
    checkAddress(address, i, dma);
    dataOffset[i] = offset;
    dmaLo[i] = address >>> 0;
    dmaHi[i] = Math.floor(address / TWO_32);
  }
  return { dataOffset, dmaLo, dmaHi };
}

// The physical address of `offset`, after checking that the buffer's data really is one
// physically contiguous run up to `lastOffset` (it is on genuine hugepages).
function physicalOf(memory: MempoolMemory, offset: number, lastOffset: number): number {
  let first: number;
  let last: number;
  try {
    first = memory.physicalAddress(offset);
    last = memory.physicalAddress(lastOffset);
  } catch (cause) {
    throw new MempoolError(
      "BAD_ADDRESS",
      `no physical address for offset ${offset}: ${(cause as Error).message}; run as root, or use { kind: "iova" } with VFIO`,
      { cause },
    );
  }
  if (last - first !== lastOffset - offset) {
    throw new MempoolError(
      "BAD_ADDRESS",
      `memory is not physically contiguous between offsets ${offset} and ${lastOffset} although pageSize is ${memory.pageSize}; back it with hugepages of that size`,
    );
  }
  return first;
}

function checkAddress(address: number, i: number, dma: DmaStrategy): void {
  const bad =
    !Number.isSafeInteger(address) ||
    address < 0 ||
    (dma.kind === "physical" && address === 0) ||
    address % DATA_ALIGN !== 0;
  if (bad) {
    throw new MempoolError(
      "BAD_ADDRESS",
      `buffer ${i}: ${dma.kind} DMA address ${address} is not a ${DATA_ALIGN}-byte aligned, non-zero 53-bit address; ` +
        (dma.kind === "physical"
          ? "pagemap may hide PFNs (needs root)"
          : "align the iova base like the memory's address"),
    );
  }
}
