/* The machine a measurement ran on: CPU model, core count, kernel, Bun version. */
import { readFileSync } from "node:fs";
import { cpus, release } from "node:os";

/** Where figures were measured. */
export interface MachineInfo {
  readonly cpu: string;
  /** Logical CPUs the kernel lists. */
  readonly cores: number;
  readonly kernel: string;
  readonly bun: string;
}

/** Reads the machine description; `cpuinfo` is the text of /proc/cpuinfo (read when omitted). */
export function machineInfo(cpuinfo?: string): MachineInfo {
  let text = cpuinfo;
  if (text === undefined) {
    try {
      text = readFileSync("/proc/cpuinfo", "utf8");
    } catch {
      text = "";
    }
  }
  const model = /^model name\s*:\s*(.+)$/m.exec(text)?.[1]?.trim();
  const processors = text.match(/^processor\s*:/gm)?.length ?? 0;
  return {
    cpu: model ?? cpus()[0]?.model ?? "unknown CPU",
    cores: processors > 0 ? processors : cpus().length,
    kernel: release(),
    bun: Bun.version,
  };
}

/** One line: "Intel(R) Xeon(R) ... (2 cores), Linux 6.18.44, Bun 1.4.5". */
export function describeMachine(m: MachineInfo): string {
  return `${m.cpu} (${m.cores} core${m.cores === 1 ? "" : "s"}), Linux ${m.kernel}, Bun ${m.bun}`;
}
