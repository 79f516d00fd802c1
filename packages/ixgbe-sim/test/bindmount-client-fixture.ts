/*
 * Runs inside a private mount namespace where the simulator's device directory is bind-mounted
 * over /sys/bus/pci/devices/<address>: opens the plain PCI address with the ixgbe driver, as a
 * driver written for real sysfs access would, receives frames and prints what it saw as JSON.
 */
import { IxgbeDevice } from "@dataplane/ixgbe";

const address = process.argv[2] as string;
const dev = await IxgbeDevice.open(address);
try {
  const bufs = new Uint32Array(64);
  let frames = 0;
  const deadline = performance.now() + 5000;
  while (frames < 200 && performance.now() < deadline) {
    const n = dev.rxBatch(0, bufs, 64);
    frames += n;
    dev.rxPool(0).freeBatch(bufs, n);
    if (n === 0) await Bun.sleep(1);
  }
  console.log(JSON.stringify({ frames, kind: dev.kind, link: dev.link().up }));
} finally {
  dev.close();
}
