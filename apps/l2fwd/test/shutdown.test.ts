import { expect, test } from "bun:test";
import { Cleanup } from "../src/shutdown.ts";

test("steps run last-first, once each, and a failure does not stop the rest", () => {
  const order: string[] = [];
  const c = new Cleanup();
  c.add("devices", () => order.push("devices"), { essential: true });
  c.add("broken", () => {
    throw new Error("boom");
  });
  c.add("handlers", () => order.push("handlers"));
  expect(c.pending()).toEqual(["handlers", "broken", "devices"]);
  const failures = c.runAll();
  expect(order).toEqual(["handlers", "devices"]);
  expect(failures).toHaveLength(1);
  expect(failures[0]?.name).toBe("broken");
  expect(String(failures[0]?.error)).toContain("boom");
  expect(c.runAll()).toEqual([]);
  expect(order).toEqual(["handlers", "devices"]);
});

test("a forced exit runs only the essential steps; the rest still run later", () => {
  const order: string[] = [];
  const c = new Cleanup();
  c.add("hugepages", () => order.push("hugepages"), { essential: true });
  c.add("stats file", () => order.push("stats file"));
  c.add("model process", () => order.push("model process"), { essential: true });
  c.runEssential();
  expect(order).toEqual(["model process", "hugepages"]);
  expect(c.pending()).toEqual(["stats file"]);
  {
    using _scope = c;
  }
  expect(order).toEqual(["model process", "hugepages", "stats file"]);
});
