/*
 * What the sys layer costs over a raw bun:ffi call, and the packet-copy primitive against
 * the typed-array ways. Run: bun packages/sys/bench/ffi.bench.ts
 */
import { dlopen, FFIType as T } from "bun:ffi";
import { bench, do_not_optimize, group, run, summary } from "mitata";
import {
  copyMemory,
  eventfd,
  eventfdRead,
  eventfdWrite,
  constants as K,
  mmap,
  open,
  pread,
  viewOf,
} from "../src/index.ts";

const raw = dlopen("libc.so.6", {
  pread: { args: [T.i32, T.ptr, T.u64, T.i64], returns: T.i64_fast },
}).symbols;

const pagemap = open("/proc/self/pagemap", K.O_RDONLY);
const entry = new Uint8Array(8);

group("pread of one 8-byte pagemap entry", () => {
  summary(() => {
    bench("raw bun:ffi pread (baseline)", () =>
      do_not_optimize(raw.pread(pagemap, entry, 8, 0)),
    ).baseline(true);
    bench("sys.pread (errno-checked)", () => do_not_optimize(pread(pagemap, entry, 8, 0)));
  });
});

const efd = eventfd(0, K.EFD_NONBLOCK);
group("eventfd", () => {
  bench("eventfdWrite + eventfdRead", () => {
    eventfdWrite(efd, 1);
    do_not_optimize(eventfdRead(efd));
  });
});

const SIZE = 1 << 16;
const a = mmap(SIZE, K.PROT_READ | K.PROT_WRITE, K.MAP_PRIVATE | K.MAP_ANONYMOUS | K.MAP_POPULATE);
const b = mmap(SIZE, K.PROT_READ | K.PROT_WRITE, K.MAP_PRIVATE | K.MAP_ANONYMOUS | K.MAP_POPULATE);
const va = new Uint8Array(viewOf(a, SIZE));
const vb = new Uint8Array(viewOf(b, SIZE));
const src64 = va.subarray(0, 64);
const wa = new Uint32Array(va.buffer);
const wb = new Uint32Array(vb.buffer);

group("copy one 64-byte frame between mappings", () => {
  summary(() => {
    bench("Uint8Array.set of a prebuilt subarray (baseline)", () => vb.set(src64, 128)).baseline(
      true,
    );
    bench("u32 loop (16 words)", () => {
      for (let i = 0; i < 16; i++) wb[32 + i] = wa[i] as number;
    });
    bench("copyMemory (memcpy through FFI)", () => copyMemory(b + 128, a, 64));
    bench("subarray + set per frame (allocates a view)", () => vb.set(va.subarray(0, 64), 128));
  });
});

await run({ colors: false });
