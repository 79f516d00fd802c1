// One driver per device over sysfs: a second open of the same sysfs-mode port (in this process
// or another) is refused with DEVICE_BUSY naming the holder; closing or dying releases it.
import { expect, test } from "bun:test";
import { IxgbeDevice, IxgbeError } from "../src/index.ts";
import { describeSim, LOADED_TIMEOUTS, SimRig } from "./support/sim-rig.ts";

const OPTS = JSON.stringify({ timeouts: LOADED_TIMEOUTS });

describeSim("ixgbe: the sysfs device lock", (path) => {
  if (path !== "sysfs") return; // kernel VFIO and vfio-user refuse a second client themselves
  test("a second open is DEVICE_BUSY naming the holder; close releases the device", async () => {
    await using rig = await SimRig.start(path, { wires: ["null"] });
    const spec = rig.spec(0);
    const first = await rig.open(0);
    const second = await IxgbeDevice.open(spec, { timeouts: LOADED_TIMEOUTS }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(second).toBeInstanceOf(IxgbeError);
    expect((second as IxgbeError).code).toBe("DEVICE_BUSY");
    expect((second as IxgbeError).message).toMatch(
      new RegExp(`is in use by process ${process.pid} \\(.*\\); stop it or choose another device$`),
    );
    expect(first.link().up).toBe(true); // the refused open touched nothing
    first.close();
    const again = await IxgbeDevice.open(spec, { timeouts: LOADED_TIMEOUTS });
    again.close();
  }, 60_000);

  test("another process's open is refused while this one holds the device, and a dead holder's lock is gone", async () => {
    await using rig = await SimRig.start(path, { wires: ["null"] });
    const spec = rig.spec(0);
    const script = `
      import { IxgbeDevice } from ${JSON.stringify(`${import.meta.dir}/../src/index.ts`)};
      try { (await IxgbeDevice.open(${JSON.stringify(spec)}, ${OPTS})).close(); console.log("opened"); }
      catch (e) { console.log(e.code + ": " + e.message); }`;
    const other = async () => {
      const p = Bun.spawn([process.execPath, "-e", script], { stdout: "pipe", stderr: "pipe" });
      const out = await new Response(p.stdout).text();
      await p.exited;
      return out.trim();
    };
    const dev = await rig.open(0);
    expect(await other()).toMatch(
      new RegExp(`^DEVICE_BUSY: device .* is in use by process ${process.pid} `),
    );
    dev.close();
    expect(await other()).toBe("opened");

    // A holder killed with SIGKILL leaves no lock behind.
    const holder = Bun.spawn(
      [
        process.execPath,
        "-e",
        `import { IxgbeDevice } from ${JSON.stringify(`${import.meta.dir}/../src/index.ts`)};
         await IxgbeDevice.open(${JSON.stringify(spec)}, ${OPTS}); console.log("held"); setInterval(() => {}, 1e6);`,
      ],
      { stdout: "pipe", stderr: "pipe" },
    );
    const reader = holder.stdout.getReader();
    let said = "";
    while (!said.includes("held")) {
      const { value, done } = await reader.read();
      if (done) throw new Error(`the holder exited: ${await new Response(holder.stderr).text()}`);
      said += new TextDecoder().decode(value);
    }
    expect(await other()).toMatch(new RegExp(`is in use by process ${holder.pid} `));
    holder.kill("SIGKILL");
    await holder.exited;
    expect(await other()).toBe("opened");
  }, 60_000);
});
