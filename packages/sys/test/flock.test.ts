import { expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  close,
  constants,
  flock,
  LOCK_EX,
  LOCK_NB,
  LOCK_SH,
  LOCK_UN,
  open,
  SysError,
} from "../src/index.ts";

test("flock: exclusive per open file, non-blocking refusal, unlock and close release it", () => {
  const dir = mkdtempSync(join(tmpdir(), "sys-flock-"));
  const file = join(dir, "f");
  writeFileSync(file, "");
  const a = open(file, constants.O_RDONLY);
  const b = open(file, constants.O_RDONLY);
  try {
    expect(flock(a, LOCK_EX | LOCK_NB)).toBe(true);
    expect(flock(b, LOCK_EX | LOCK_NB)).toBe(false); // another open file: refused
    expect(flock(b, LOCK_SH | LOCK_NB)).toBe(false);
    expect(flock(a, LOCK_UN)).toBe(true);
    expect(flock(b, LOCK_EX | LOCK_NB)).toBe(true);
    close(b);
    expect(flock(a, LOCK_EX | LOCK_NB)).toBe(true); // closing b released its lock
    expect(() => flock(-1, LOCK_EX | LOCK_NB)).toThrow(SysError); // EBADF is an error, not "busy"
  } finally {
    close(a);
    rmSync(dir, { recursive: true, force: true });
  }
});
