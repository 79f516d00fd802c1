/* Register decoding: datasheet offsets pinned, aliases, kinds, mapped-word lists. */
import { describe, expect, test } from "bun:test";
import * as R from "@dataplane/ixgbe/regs";
import {
  K,
  KIND,
  MAPPED_ALL,
  MAPPED_NONE,
  MAPPED_QUEUE_PAGES,
  mappedWords,
  PARTNER,
  PRIMARY,
} from "../src/model/register-map.ts";

const w = (off: number) => off >>> 2;

describe("register map", () => {
  test("key offsets as the datasheet gives them", () => {
    const table: [number, number][] = [
      [R.CTRL, 0x00000],
      [R.EICR, 0x00800],
      [R.EIMS, 0x00880],
      [R.RDT(0), 0x01018],
      [R.RDT(64), 0x0d018],
      [R.RXDCTL(127), 0x0dfe8],
      [R.TDT(127), 0x07fd8],
      [R.SRRCTL_ALIAS(1), 0x02104],
      [R.RAL(0), 0x0a200],
      [R.MRQC, 0x0ec80],
      [R.GPRC, 0x04074],
      [R.LINKS, 0x042a4],
      [R.EEC, 0x10010],
      [R.EITR(24), 0x12300],
    ];
    for (const [got, want] of table) expect(got).toBe(want);
  });

  test("aliases decode onto the 82599 primary word and mirror back", () => {
    expect(PRIMARY[w(R.SRRCTL_ALIAS(3))]).toBe(w(R.SRRCTL(3)));
    expect(PARTNER[w(R.SRRCTL(3))]).toBe(w(R.SRRCTL_ALIAS(3)));
    expect(PRIMARY[w(R.RAH_ALIAS(15))]).toBe(w(R.RAH(15)));
    expect(PRIMARY[w(R.RETA_ALIAS(31))]).toBe(w(R.RETA(31)));
    expect(PRIMARY[w(R.RSSRK_ALIAS(0))]).toBe(w(R.RSSRK(0)));
    expect(PRIMARY[w(R.MRQC_ALIAS)]).toBe(w(R.MRQC));
    expect(PRIMARY[w(R.SRRCTL(16))]).toBe(w(R.SRRCTL(16)));
    expect(PARTNER[w(R.SRRCTL(16))]).toBe(-1);
  });

  test("kinds of the registers with side effects", () => {
    expect(KIND[w(R.CTRL)]).toBe(K.CTRL);
    expect(KIND[w(R.RXDCTL(70))]).toBe(K.RXDCTL);
    expect(KIND[w(R.TDH(5))]).toBe(K.TDH);
    expect(KIND[w(R.GORCH)]).toBe(K.STAT);
    expect(KIND[w(R.RAL_ALIAS(2))]).toBe(K.RAR);
    expect(KIND[w(R.RDT(3))]).toBe(K.PLAIN);
    expect(KIND[w(R.FWSM)]).toBe(K.RO);
  });

  test("mapped-word lists: nothing, the queue pages, everything", () => {
    expect(mappedWords(MAPPED_NONE).watch.length).toBe(0);
    const q = mappedWords(MAPPED_QUEUE_PAGES);
    // RXDCTL, TXDCTL, RDH, TDH of 128 queues + SRRCTL/DCA_RXCTRL(0..15) with their aliases
    expect(q.watch.length).toBe(4 * 128 + 32);
    // QPRC, QPRDC, QBRC L/H of 16 slots in 0x01000.., QPTC aliases in 0x06000..
    expect(q.publish.length).toBe(16 * 4 + 16);
    const all = mappedWords(MAPPED_ALL);
    expect(all.watch).toContain(w(R.CTRL));
    expect(all.watch).toContain(w(R.SRRCTL_ALIAS(0)));
    expect(all.publish).toContain(w(R.GPRC));
  });
});
