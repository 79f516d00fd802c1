/*
 * Checks the machine code the JIT emits for Doorbell.ring(): runs doorbell-warmup.ts with
 * BUN_JSC_dumpFTLDisassembly / BUN_JSC_dumpDFGDisassembly (concurrent JIT off, so the top tier
 * is reached in the same place every run) and reads the dumps for ring().
 *
 * Release builds of Bun have no disassembler ("disassembly not available"), so the check reads
 * the last IR before machine code: Air, B3's assembly-level form, where each instruction is one
 * x86 instruction (`Move32 %r, (mem)` is a 32-bit `mov` store; `AtomicXchg32` is `xchg`). It
 * asserts that ring() at the FTL tier stores with a plain Move32 and has no xchg, lock-prefixed
 * or fence instruction, and that the DFG tier lowered the store as PutByVal, not AtomicsStore.
 *
 *   bun scripts/doorbell-disasm.ts            (from packages/ixgbe; exit 1 on a violation)
 *   bun scripts/doorbell-disasm.ts --atomics  (negative control: must report a violation)
 */
import { join } from "node:path";

/** What the dumps say about ring(). */
export interface DoorbellCode {
  /** Air instructions of ring() at the FTL tier. */
  readonly air: readonly string[];
  /** Air stores to memory (destination operand is an address). */
  readonly stores: readonly string[];
  /** Air instructions that are locked, exchanging or fencing. */
  readonly locked: readonly string[];
  /** DFG nodes of ring() that store into a typed array (PutByVal / AtomicsStore). */
  readonly dfgStores: readonly string[];
}

const STORE = /^(Move32|Store32)\s+\S+,\s*-?(0x)?[0-9a-f]*\(%[^)]*\)$/i;
const LOCKED = /xchg|atomic|lock|fence|cas\b|cmpxchg/i;

/** Extracts ring()'s code from a dump (stdout + stderr of the warm-up run). */
export function parseDump(dump: string): DoorbellCode {
  const lines = dump.split("\n");
  const air: string[] = [];
  const dfgStores: string[] = [];
  let inFtl = false;
  let inDfg = false;
  for (const line of lines) {
    if (line.startsWith("Generated ")) {
      inFtl = /^Generated FTL code for ring#/.test(line);
      inDfg = /^Generated DFG JIT code for ring#/.test(line);
      continue;
    }
    if (inFtl && line.startsWith("Air ")) {
      const ins = line.slice(4).trim();
      if (ins.startsWith("#") || /^(BB#|Successors|Predecessors)/.test(ins)) continue;
      // The slow paths after "# Late paths" belong to other code; stop at the first one.
      air.push(ins);
    }
    if (inFtl && line.startsWith("Air # Late paths")) inFtl = false;
    if (inDfg && /\b(PutByVal|AtomicsStore)\(/.test(line)) dfgStores.push(line.trim());
  }
  return {
    air,
    stores: air.filter((i) => STORE.test(i)),
    locked: air.filter((i) => LOCKED.test(i)),
    dfgStores,
  };
}

/** Problems with ring()'s code; empty when the tail store is one plain 32-bit mov. */
export function problems(code: DoorbellCode): string[] {
  const out: string[] = [];
  if (code.air.length === 0) out.push("no FTL code for ring() in the dump (did it tier up?)");
  if (code.air.length > 0 && code.stores.length !== 1) {
    out.push(`expected exactly one Move32 store, found ${code.stores.length}`);
  }
  for (const i of code.locked) out.push(`locked/exchanging instruction: ${i}`);
  if (code.dfgStores.length === 0) out.push("no DFG store node for ring() in the dump");
  for (const n of code.dfgStores) if (n.includes("AtomicsStore(")) out.push(`DFG: ${n}`);
  return out;
}

/** Runs the warm-up under the JIT dump options and returns the dump. */
export function dumpDoorbell(atomics = false): string {
  const r = Bun.spawnSync({
    cmd: [
      process.execPath,
      join(import.meta.dir, "doorbell-warmup.ts"),
      ...(atomics ? ["--atomics"] : []),
    ],
    env: {
      ...process.env,
      BUN_JSC_useConcurrentJIT: "0",
      BUN_JSC_dumpFTLDisassembly: "1",
      BUN_JSC_dumpDFGDisassembly: "1",
    },
    stdout: "pipe",
    stderr: "pipe",
  });
  const text = r.stdout.toString() + r.stderr.toString();
  if (r.exitCode !== 0) {
    throw new Error(
      `doorbell warm-up exited ${r.exitCode}: ${text.split("\n").slice(-5).join(" | ")}`,
    );
  }
  return text;
}

if (import.meta.main) {
  const atomics = process.argv.includes("--atomics");
  const code = parseDump(dumpDoorbell(atomics));
  const found = problems(code);
  console.log(
    `ring() at FTL: ${code.air.length} Air instructions; stores: ${code.stores.join(" ; ")}`,
  );
  for (const p of found) console.log(`  ${p}`);
  console.log(found.length === 0 ? "OK: the tail store is a plain 32-bit mov" : "FAIL");
  process.exit(found.length === 0 ? 0 : 1);
}
