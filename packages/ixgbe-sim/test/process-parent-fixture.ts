/*
 * A parent that starts a simulator (which runs with --exit-with-parent) and then waits to be
 * killed. Prints {"pid": <simulator pid>, "socketDir": ...} once the simulator is ready.
 */
import { startSim } from "../src/runtime/start.ts";

const sim = await startSim({ ports: 1, wires: ["null"] });
process.stdout.write(`${JSON.stringify({ pid: sim.pid, socketDir: sim.socketDir })}\n`);
setInterval(() => {}, 1000);
