import { describe, expect, it } from "vitest";
import { heatmapSvg, lineChartSvg, scatterChartSvg } from "@kpu/plot";

describe("charts", () => {
  it("renders a faceted log-log line chart to SVG with its titles and series", async () => {
    const svg = await lineChartSvg(
      [
        { x: 1, y: 3, series: "ws", facet: "a" },
        { x: 16, y: 1.2, series: "ws", facet: "a" },
        { x: 1, y: 2, series: "os", facet: "b" },
        { x: 16, y: 1, series: "os", facet: "b" },
      ],
      { title: "overfetch", xTitle: "L3 (MiB)", yTitle: "overfetch", xLog: true },
    );
    expect(svg.startsWith("<svg")).toBe(true);
    expect(svg).toContain("overfetch");
    expect(svg).toContain("L3 (MiB)");
    expect(svg).toContain(">ws<");
  });

  it("renders a heatmap with cell labels, deterministically", async () => {
    const cells = [
      { x: "1MiB", y: "gemm", value: 0, label: "ws" },
      { x: "2MiB", y: "gemm", value: 1, label: "os" },
    ];
    const a = await heatmapSvg(cells, { title: "best", xTitle: "L3", yTitle: "workload", colorBy: "label" });
    const b = await heatmapSvg(cells, { title: "best", xTitle: "L3", yTitle: "workload", colorBy: "label" });
    expect(a).toBe(b);
    expect(a).toContain(">os<");
  });
});

describe("charts that do not mislead", () => {
  const tied = ["WS", "IS", "OS"].flatMap((series) => [1, 4, 16].map((x) => ({ x, y: 2, series, facet: "BERT MLP" })));
  const more = [1, 2, 3, 4].flatMap((f) => [1, 16].map((x) => ({ x, y: 1 + f, series: "WS", facet: `w${f}` })));

  it("draws tied lines with distinct dashes and widths, so none hides another", async () => {
    const svg = await lineChartSvg(tied, { title: "t", xTitle: "x", yTitle: "y", xLog: true });
    const lines = [...svg.matchAll(/<path[^>]*aria-roledescription="line mark"[^>]*>/g)].map((m) => m[0]);
    expect(lines).toHaveLength(3);
    const dash = new Set(lines.map((l) => /stroke-dasharray="([^"]*)"/.exec(l)?.[1]));
    const width = new Set(lines.map((l) => /stroke-width="([^"]*)"/.exec(l)?.[1]));
    expect(dash.size).toBe(3);
    expect(width.size).toBe(3);
  });

  it("gives small multiples their own axes: no axis under an empty panel", async () => {
    const svg = await lineChartSvg([...tied, ...more], { title: "t", xTitle: "x", yTitle: "y", columns: 4 });
    // 5 panels in a 4-column grid (3 empty cells): exactly one x and one y axis per panel
    expect(svg.match(/aria-roledescription="axis"/g)).toHaveLength(2 * 5);
  });

  it("writes whole workload names and readable cell labels on dark and light cells", async () => {
    const name = "Extreme Wide: 100k vocab projection of a very long name";
    const cells = [0.5, 1, 2, 4, 8].map((v) => ({ x: String(v), y: name, value: v, label: v.toFixed(1) }));
    const svg = await heatmapSvg(cells, { title: "speed-up", xTitle: "x", yTitle: "y" });
    expect(svg).not.toContain("…");
    expect(svg).toContain(`>${name}<`);
    const fill = (label: string) => new RegExp(`fill="(#[0-9a-f]+)">${label.replace(".", "\\.")}<`).exec(svg)?.[1];
    expect(fill("0.5")).toBe("#ffffff"); // viridis' dark purple end
    expect(fill("8.0")).toBe("#000000"); // its yellow end
  });
});

describe("scatter chart", () => {
  it("draws every point, the highlighted group in red and on top, with the size legend; deterministic", async () => {
    const points = [
      { x: 1, y: 3, size: 1, group: "dominated" },
      { x: 2, y: 1, size: 2, group: "Pareto front" },
      { x: 1.5, y: 2, size: 3, group: "Pareto front" },
    ];
    const options = { title: "t", xTitle: "latency (ms)", yTitle: "energy (mJ)", sizeTitle: "area (mm²)", highlight: "Pareto front" };
    const svg = await scatterChartSvg(points, options);
    expect(svg).toMatch(/^<svg/);
    for (const text of ["latency (ms)", "energy (mJ)", "area (mm²)", "Pareto front", "dominated"]) expect(svg).toContain(text);
    expect(svg.match(/fill="#d62728"/g)?.length ?? 0).toBeGreaterThanOrEqual(2);
    expect(await scatterChartSvg(points, options)).toBe(svg);
  });
});
