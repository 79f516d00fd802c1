/*
 * Forwarding rate over in-memory ports, one thread against one Worker per queue pair:
 *   bun bench/workers.ts [--seconds 2] [--queues 1,2,4]
 * Prints Mpps (frames forwarded in both directions per second) for each queue count and mode.
 */
import { parseArgs } from "node:util";
import { memoryPortPair } from "../src/memory-port.ts";
import { runForwarding } from "../src/run.ts";

const { values } = parseArgs({
  options: {
    seconds: { type: "string", default: "2" },
    queues: { type: "string", default: "1,2,4" },
  },
});
const seconds = Number(values.seconds);
console.log("queues  workers  Mpps");
for (const queues of values.queues.split(",").map(Number)) {
  for (const workers of ["off", "on"] as const) {
    const set = memoryPortPair({ queues, workers: true });
    const s = await runForwarding(
      set,
      {
        batch: 32,
        queues,
        mode: "touch",
        duration: seconds,
        interval: 3600,
        json: false,
        quiet: true,
        workers,
      },
      new Int32Array(1),
      () => {},
    );
    console.log(
      `${String(queues).padStart(6)}  ${workers.padStart(7)}  ${(s.forwarded / s.seconds / 1e6).toFixed(1)}`,
    );
  }
}
