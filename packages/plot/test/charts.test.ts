import { describe, expect, it } from "vitest";
import { heatmapSvg, lineChartSvg } from "@kpu/plot";

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
