/*
 * The performance plot as a self-contained SVG: throughput (Mpps) against batch size on a
 * log2 axis, one line per queue count, in the style of the ixy papers' batch-size figures.
 */

/** One measured point. */
export interface PerfPoint {
  readonly queues: number;
  readonly batch: number;
  /** Forwarded frames per second, in millions (both directions together). */
  readonly mpps: number;
  /** The same as line-rate Gbit/s (see stats.ts for the convention). */
  readonly gbps: number;
}

/** Text around the plot. */
export interface PlotOptions {
  readonly title: string;
  /** A second, smaller line under the title (machine, frame size). */
  readonly subtitle?: string;
  readonly width?: number;
  readonly height?: number;
}

const COLORS = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b"];
const MARGIN = { left: 64, right: 24, top: 56, bottom: 56 };

/** Escapes text for use in SVG content and attribute values. */
export function escapeXml(s: string): string {
  return s
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;");
}

/** The smallest 1, 2, 2.5 or 5 x 10^k that is >= v (an axis maximum that reads well). */
export function niceCeiling(v: number): number {
  if (!(v > 0)) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= v) return m * p;
  return 10 * p;
}

const n2 = (v: number): string => (Math.round(v * 100) / 100).toString();

/** Renders the plot. Points are grouped by queue count; each group becomes one polyline. */
export function renderPlot(points: readonly PerfPoint[], o: PlotOptions): string {
  const width = o.width ?? 720;
  const height = o.height ?? 440;
  const plotW = width - MARGIN.left - MARGIN.right;
  const plotH = height - MARGIN.top - MARGIN.bottom;
  const batches = [...new Set(points.map((p) => p.batch))].sort((a, b) => a - b);
  const lo = Math.log2(batches[0] ?? 1);
  const hi = Math.log2(batches[batches.length - 1] ?? 1);
  const x = (batch: number): number =>
    MARGIN.left + (hi > lo ? ((Math.log2(batch) - lo) / (hi - lo)) * plotW : plotW / 2);
  const yMax = niceCeiling(Math.max(0, ...points.map((p) => p.mpps)) * 1.05);
  const y = (mpps: number): number => MARGIN.top + plotH - (mpps / yMax) * plotH;

  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
    `<rect x="0" y="0" width="${width}" height="${height}" fill="white"/>`,
    `<text x="${width / 2}" y="22" text-anchor="middle" font-size="15" font-weight="bold">${escapeXml(o.title)}</text>`,
  ];
  if (o.subtitle) {
    out.push(
      `<text x="${width / 2}" y="40" text-anchor="middle" fill="#555">${escapeXml(o.subtitle)}</text>`,
    );
  }
  // Grid and y ticks: five steps from 0 to the nice maximum.
  for (let i = 0; i <= 5; i++) {
    const v = (yMax * i) / 5;
    const yy = n2(y(v));
    out.push(
      `<line x1="${MARGIN.left}" y1="${yy}" x2="${MARGIN.left + plotW}" y2="${yy}" stroke="#ddd"/>`,
    );
    out.push(
      `<text x="${MARGIN.left - 6}" y="${yy}" text-anchor="end" dominant-baseline="middle">${n2(v)}</text>`,
    );
  }
  for (const b of batches) {
    const xx = n2(x(b));
    out.push(
      `<line x1="${xx}" y1="${MARGIN.top + plotH}" x2="${xx}" y2="${MARGIN.top + plotH + 5}" stroke="#333"/>`,
    );
    out.push(`<text x="${xx}" y="${MARGIN.top + plotH + 18}" text-anchor="middle">${b}</text>`);
  }
  out.push(
    `<line x1="${MARGIN.left}" y1="${MARGIN.top + plotH}" x2="${MARGIN.left + plotW}" y2="${MARGIN.top + plotH}" stroke="#333"/>`,
    `<line x1="${MARGIN.left}" y1="${MARGIN.top}" x2="${MARGIN.left}" y2="${MARGIN.top + plotH}" stroke="#333"/>`,
    `<text x="${MARGIN.left + plotW / 2}" y="${height - 12}" text-anchor="middle">batch size (frames per receive call)</text>`,
    `<text x="16" y="${MARGIN.top + plotH / 2}" text-anchor="middle" transform="rotate(-90 16 ${MARGIN.top + plotH / 2})">forwarded (Mpps)</text>`,
  );

  const groups = [...new Set(points.map((p) => p.queues))].sort((a, b) => a - b);
  out.push(
    `<rect x="${MARGIN.left + 6}" y="${MARGIN.top + 4}" width="110" height="${18 * groups.length + 4}" fill="white" fill-opacity="0.85" stroke="#ccc"/>`,
  );
  groups.forEach((q, i) => {
    const color = COLORS[i % COLORS.length] as string;
    const line = points.filter((p) => p.queues === q).sort((a, b) => a.batch - b.batch);
    const coords = line.map((p) => `${n2(x(p.batch))},${n2(y(p.mpps))}`).join(" ");
    const label = `${q} queue${q === 1 ? "" : "s"}`;
    out.push(
      `<polyline fill="none" stroke="${color}" stroke-width="2" points="${coords}" data-queues="${q}"/>`,
    );
    for (const p of line) {
      out.push(
        `<circle cx="${n2(x(p.batch))}" cy="${n2(y(p.mpps))}" r="3" fill="${color}"><title>${escapeXml(`${label}, batch ${p.batch}: ${p.mpps.toFixed(3)} Mpps`)}</title></circle>`,
      );
    }
    const ly = MARGIN.top + 14 + 18 * i;
    out.push(
      `<line x1="${MARGIN.left + 12}" y1="${ly}" x2="${MARGIN.left + 36}" y2="${ly}" stroke="${color}" stroke-width="2"/>`,
    );
    out.push(
      `<text x="${MARGIN.left + 42}" y="${ly}" dominant-baseline="middle">${escapeXml(label)}</text>`,
    );
  });
  out.push("</svg>");
  return `${out.join("\n")}\n`;
}
