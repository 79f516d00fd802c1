/*
 * The `pci list` report: one row per function with its identity and the ways to drive it,
 * as an aligned text table (for people) or JSON (for scripts).
 */
import type { DeviceAccess } from "./access.ts";
import type { PciDeviceInfo } from "./device.ts";

/** A device and what can drive it. */
export interface ReportEntry {
  readonly info: PciDeviceInfo;
  readonly access: DeviceAccess;
}

const hex = (value: number, digits: number): string => value.toString(16).padStart(digits, "0");

/** Formats a byte count as B/KiB/MiB/GiB (exact multiples only get the larger unit). */
export function formatBytes(bytes: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && value % 1024 === 0 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value} ${units[unit]}`;
}

function accessSummary(access: DeviceAccess): string {
  const ways: string[] = [];
  if (access.vfio.usable) ways.push("vfio");
  if (access.sysfs.usable) ways.push("sysfs");
  if (access.kernelDriver !== null) ways.push(`kernel:${access.kernelDriver}`);
  return ways.length === 0 ? "none" : ways.join(",");
}

/** Renders the aligned text table plus one line per unavailable path saying why. */
export function renderText(entries: readonly ReportEntry[], title: string): string {
  const header = ["ADDRESS", "VENDOR:DEVICE", "CLASS", "DRIVER", "IOMMU", "NUMA", "BAR0", "ACCESS"];
  const rows = entries.map(({ info, access }) => {
    const bar0 = info.resources.find((r) => r.index === 0);
    return [
      info.address,
      `${hex(info.vendor, 4)}:${hex(info.device, 4)}`,
      hex(info.classCode, 6),
      info.driver ?? "-",
      info.iommuGroup === null ? "-" : String(info.iommuGroup),
      String(info.numaNode),
      bar0 === undefined ? "-" : formatBytes(bar0.size),
      accessSummary(access),
    ];
  });
  const widths = header.map((h, i) =>
    Math.max(h.length, ...rows.map((r) => (r[i] as string).length)),
  );
  const line = (cells: readonly string[]): string =>
    cells
      .map((c, i) => c.padEnd(widths[i] as number))
      .join("  ")
      .trimEnd();
  const out = [title, line(header), ...rows.map(line), ""];
  for (const { info, access } of entries) {
    const pad = " ".repeat(info.address.length);
    out.push(`${info.address}  vfio:  ${access.vfio.usable ? "yes" : "no"}, ${access.vfio.reason}`);
    out.push(`${pad}  sysfs: ${access.sysfs.usable ? "yes" : "no"}, ${access.sysfs.reason}`);
  }
  return `${out.join("\n")}\n`;
}

/** The JSON form: an array of plain objects, numbers as numbers. */
export function renderJson(entries: readonly ReportEntry[]): string {
  const list = entries.map(({ info, access }) => ({ ...info, access }));
  return `${JSON.stringify(list, null, 2)}\n`;
}
