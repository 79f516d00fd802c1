import { expect, test } from "bun:test";
import { describeMachine, machineInfo } from "../src/report/machine.ts";
import { escapeXml, niceCeiling, type PerfPoint, renderPlot } from "../src/report/svg.ts";
import { markdownTable, type PerfReport, reportJson, reportMarkdown } from "../src/report/table.ts";

// Fake results shaped like a real sweep: throughput rises with batch size and saturates.
const BATCHES = [1, 2, 4, 8, 16, 32, 64, 128, 256];
const points: PerfPoint[] = [1, 2].flatMap((queues) =>
  BATCHES.map((batch) => {
    const mpps = Math.min(14.88, queues * 3 * Math.log2(2 * batch));
    return { queues, batch, mpps, gbps: (mpps * 84 * 8) / 1000 };
  }),
);

interface Element {
  name: string;
  attrs: Record<string, string>;
  text: string;
  children: Element[];
}

// A small XML reader: enough to prove the SVG is well-formed (every tag closed in order,
// attributes quoted, entities valid) and to look at its elements.
function parseXml(xml: string): Element {
  const root: Element = { name: "#root", attrs: {}, text: "", children: [] };
  const stack = [root];
  const token = /<\/?([A-Za-z][\w:-]*)((?:\s+[\w:-]+="[^"<]*")*)\s*(\/?)>|([^<]+)/gy;
  let m: RegExpExecArray | null;
  let pos = 0;
  while (pos < xml.length) {
    token.lastIndex = pos;
    m = token.exec(xml);
    if (!m) throw new Error(`malformed XML at ${pos}: ${xml.slice(pos, pos + 40)}`);
    pos = token.lastIndex;
    const top = stack[stack.length - 1] as Element;
    if (m[4] !== undefined) {
      if (/&(?!(amp|lt|gt|quot|apos);)/.test(m[4])) throw new Error(`bad entity in ${m[4]}`);
      top.text += m[4];
      continue;
    }
    const name = m[1] as string;
    if (m[0].startsWith("</")) {
      if (top.name !== name) throw new Error(`</${name}> closes <${top.name}>`);
      stack.pop();
      continue;
    }
    const attrs: Record<string, string> = {};
    for (const a of (m[2] ?? "").matchAll(/([\w:-]+)="([^"]*)"/g)) {
      if ((a[1] as string) in attrs) throw new Error(`duplicate attribute ${a[1]}`);
      attrs[a[1] as string] = a[2] as string;
    }
    const el: Element = { name, attrs, text: "", children: [] };
    top.children.push(el);
    if (m[3] !== "/") stack.push(el);
  }
  if (stack.length !== 1) throw new Error(`unclosed <${stack[stack.length - 1]?.name}>`);
  return root;
}

const all = (e: Element, name: string): Element[] =>
  e.children.flatMap((c) => [...(c.name === name ? [c] : []), ...all(c, name)]);

test("the plot is well-formed SVG with axis labels and one polyline per queue count", () => {
  const svg = renderPlot(points, { title: "l2fwd <sim> & 64 B", subtitle: "test machine" });
  const doc = parseXml(svg.trim());
  const root = doc.children[0] as Element;
  expect(root.name).toBe("svg");
  expect(root.attrs.xmlns).toBe("http://www.w3.org/2000/svg");
  const texts = all(root, "text").map((t) => t.text);
  expect(texts).toContain("batch size (frames per receive call)");
  expect(texts).toContain("forwarded (Mpps)");
  expect(texts).toContain("l2fwd &lt;sim&gt; &amp; 64 B");
  for (const b of BATCHES) expect(texts).toContain(String(b));
  expect(texts).toContain("1 queue");
  expect(texts).toContain("2 queues");
  const lines = all(root, "polyline");
  expect(lines.map((l) => l.attrs["data-queues"])).toEqual(["1", "2"]);
  for (const l of lines) {
    const xy = (l.attrs.points as string).split(" ").map((p) => p.split(",").map(Number));
    expect(xy).toHaveLength(BATCHES.length);
    // Batch sizes double at each step: on a log2 axis the points are evenly spaced.
    const dx = xy.slice(1).map((p, i) => (p[0] as number) - (xy[i]?.[0] as number));
    for (const d of dx) expect(d).toBeCloseTo(dx[0] as number, 1);
  }
  // More throughput is higher on the page (smaller y).
  const two = (lines[1].attrs.points as string).split(" ").map((p) => Number(p.split(",")[1]));
  expect(two[0]).toBeGreaterThan(two[two.length - 1] as number);
  expect(all(root, "circle")).toHaveLength(points.length);
});

test("one batch size still plots", () => {
  const svg = renderPlot([{ queues: 1, batch: 32, mpps: 5, gbps: 3.36 }], { title: "one" });
  expect(all(parseXml(svg.trim()), "polyline")).toHaveLength(1);
});

test("the XML reader rejects what a browser would", () => {
  expect(() => parseXml("<svg><g></svg>")).toThrow(/closes/);
  expect(() => parseXml("<svg><text>a & b</text></svg>")).toThrow(/entity/);
  expect(() => parseXml("<svg x=1/>")).toThrow(/malformed/);
});

test("niceCeiling and escapeXml", () => {
  expect([0.7, 1, 1.3, 2.2, 4, 14.88, 31].map(niceCeiling)).toEqual([1, 1, 2, 2.5, 5, 20, 50]);
  expect(niceCeiling(0)).toBe(1);
  expect(escapeXml(`a<b>&"c"`)).toBe("a&lt;b&gt;&amp;&quot;c&quot;");
});

test("markdown table: one row per batch, Mpps and Gbit/s per queue count", () => {
  const rows = markdownTable(points).split("\n");
  expect(rows[0]).toBe("| batch | 1q Mpps | 1q Gbit/s | 2q Mpps | 2q Gbit/s |");
  expect(rows).toHaveLength(2 + BATCHES.length);
  expect(rows[2]).toBe("| 1 | 3.000 | 2.02 | 6.000 | 4.03 |");
  expect(markdownTable(points.slice(0, 3)).split("\n")[2]).toBe("| 1 | 3.000 | 2.02 |");
});

test("machine info comes from /proc/cpuinfo text, kernel and Bun", () => {
  const m = machineInfo(
    "processor\t: 0\nmodel name\t: Test CPU 9000\n\nprocessor\t: 1\nmodel name\t: Test CPU 9000\n",
  );
  expect(m.cpu).toBe("Test CPU 9000");
  expect(m.cores).toBe(2);
  expect(m.bun).toBe(Bun.version);
  expect(describeMachine(m)).toBe(`Test CPU 9000 (2 cores), Linux ${m.kernel}, Bun ${Bun.version}`);
  expect(machineInfo().cores).toBeGreaterThan(0);
});

test("the report as markdown and JSON", () => {
  const r: PerfReport = {
    title: "T",
    what: "W.",
    command: "bun run bench:l2fwd",
    date: "2026-01-01T00:00:00.000Z",
    machine: { cpu: "C", cores: 2, kernel: "6.18", bun: "1.4.5" },
    frameBytes: 64,
    secondsPerPoint: 2,
    points,
  };
  const md = reportMarkdown(r, "l2fwd.svg");
  expect(md).toContain("![Mpps vs batch size](l2fwd.svg)");
  expect(md).toContain("- machine: C (2 cores), Linux 6.18, Bun 1.4.5");
  expect(md).toContain("`bun run bench:l2fwd`");
  expect(JSON.parse(reportJson(r))).toEqual(JSON.parse(JSON.stringify(r)));
});
