/* The --help text and the --version line. */
import pkg from "../package.json" with { type: "json" };

/** The complete --help text. */
export const HELP = `l2fwd: a layer-2 forwarder for Intel 82599 ports, over the user-space ixgbe driver.

Usage:
  l2fwd [options]                      run against the embedded ixgbe-sim model (10 s)
  l2fwd <dev0> <dev1> [options]        forward between two real or served devices
  (from the repository root: bun run l2fwd ...)

Every frame received on a queue of one port is rewritten and sent on the same queue of the
other port, in both directions. Frames the other port cannot take at once are dropped (as
ixy-fwd does) rather than queued, so latency does not build up.

Devices:
  0000:03:00.0               a PCI device (kernel VFIO if it has an IOMMU group, else sysfs)
  vfio-user:<socket>         a device served over vfio-user (e.g. by ixgbe-sim)
  sysfs:<dir>                a sysfs-style device directory (config, resource0)

Options:
  -b, --batch <n>            frames per receive call, 1..512                  [32]
  -r, --ring <n>             descriptors per ring, power of two 64..4096      [512]
  -q, --queues <n>           queue pairs per port, 1..16; one worker each,
                             RSS spreads flows over them                      [1]
  -m, --mode <touch|mac|pass>  touch: increment one byte of each frame (ixy-fwd)
                             mac: rewrite destination and source MAC (DPDK l2fwd)
                             pass: leave frames as they are (bridge kernel stacks) [touch]
  -d, --duration <s>         seconds to run, 0 = until Ctrl-C   [10 with the model, else 0]
  -i, --interval <s>         seconds between statistics lines, 0.1..3600     [1]
      --json                 one JSON object per interval, and a final one
      --quiet                no per-interval output, only the summary
      --no-promisc           do not put the ports in promiscuous mode
      --workers <auto|on|off>  one Worker thread per queue pair: auto = whenever
                             the ports allow it; off = one thread           [auto]
      --pin                  pin Worker i to the i-th CPU this process may use
  -c, --config <file>        read options from a .json, .yaml or .yml file; flags win
      --print-config         print the resolved configuration as JSON and exit
  -h, --help                 this text
  -V, --version              print the version

Embedded model (only without devices):
      --sim-wire <a>,<b>     the wire behind each port (repeat the flag or separate the two
                             ports by a comma) [gen+sink,gen+sink]. Kinds:
                               gen[:rate=R,size=S,flows=F,count=N]  traffic generator
                               sink                                 validating sink
                               cable[:pN]                           back to back with port N; bare
                                                                    cable: the other port if its wire
                                                                    is a cable too, else itself (loop)
                               tap:IF | pcap:FILE | pcap-in:FILE | null
                             join two with + (gen+sink: traffic in both directions)
      --sim-rate <r>         generator rate in frames/s (1000, 250k, 1.5M or max) [100k]
      --sim-size <n>         generated frame size in bytes without CRC, 60..9000 [60 = 64 B]
      --sim-flows <n>        distinct UDP flows per generator, 1..65536
      --sim-process-per-port one model process per port, so the two ports' datapaths run
                             on two cores (needs cores for them besides l2fwd's; not with
                             cable wires)

Config file keys (YAML or JSON): devices, batch, ringSize, queues, mode, duration, interval,
json, quiet, promisc, workers, pin, sim: { wires, rate, size, flows, processPerPort }. Unknown keys are rejected.

Rates: Mpps = million frames per second; Gbit/s counts each frame with its CRC plus 20 bytes
of preamble, start delimiter and inter-frame gap, as line rates are quoted (64-byte frames at
10 Gbit/s = 14.88 Mpps).

Exit status: 0 forwarded and validated, 1 runtime error or validation failure, 2 bad
options or config file, 130 stopped by a second Ctrl-C.

Examples:
  bun run l2fwd                                         10 s against the model, live stats
  bun run l2fwd --sim-rate 1M --sim-flows 64 -q 2 -d 30 two queues, 1 Mpps, 30 s
  bun run l2fwd --sim-wire gen+sink,cable --mode mac    rewrite MACs, loop port 1 back
  bun run l2fwd --json --quiet                          one final JSON summary only
  bun run l2fwd 0000:03:00.0 0000:03:00.1 -b 64         real 82599 ports, until Ctrl-C
  bun run l2fwd vfio-user:/run/ixgbe-sim/p0.sock vfio-user:/run/ixgbe-sim/p1.sock
  bun run l2fwd --config l2fwd.yaml --batch 128         file values, batch overridden
`;

/** The --version line: package version and the Bun it runs on. */
export function versionLine(): string {
  return `l2fwd ${pkg.version} (bun ${Bun.version})`;
}
