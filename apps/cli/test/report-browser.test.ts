/**
 * Browser tests of `kpu report`: each kind built from real tool output (the CLI runs here, small sizes), opened in
 * Debian's chromium through playwright-core. Every page must load without a console error or a network request, show
 * the JSON's values on hover, zoom, sort, and look like its stored screenshot (within a font-robust tolerance).
 */
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dseExample } from "../../../packages/report/test/fixtures.js";
import { HAVE_CHROMIUM, compareScreenshot, hoverText, launch, openReport, requireBrowserInCi } from "./browser.js";
import { kpu } from "./helpers.js";

requireBrowserInCi();
const dir = mkdtempSync(join(tmpdir(), "report-browser-"));
const golden = (name: string) => join(import.meta.dirname, "golden", `report-${name}.png`);
const fmt = (x: number, digits = 3) => x.toLocaleString("en-US", { maximumFractionDigits: digits });

/** The page's globals, as the test scripts read them (the test's own TypeScript has no DOM library). */
interface Box {
  readonly left: number;
  readonly top: number;
}
interface PageGlobals {
  readonly KPU: {
    readonly charts: Record<string, { convertToPixel: (f: unknown, v: unknown) => number[]; getDom: () => { getBoundingClientRect: () => Box; scrollIntoView: (o: unknown) => void } }>;
    readonly gantt: { range: () => number[]; pixelOf: (i: number) => number[]; chart: { getOption: () => { series: { data: number[][] }[] } } };
  };
  readonly document: { getElementById: (id: string) => { textContent: string } | null };
}

async function cli(...argv: string[]): Promise<string> {
  const r = await kpu(...argv);
  expect(r.stderr).toBe("");
  expect(r.code).toBe(0);
  return r.stdout;
}

async function report(input: string, name: string): Promise<string> {
  const out = join(dir, `${name}.html`);
  await cli("report", input, "--out", out);
  return out;
}

/** Chart pixel (page coordinates) of a data point, through the chart's own scales. */
async function pixel(page: Page, chart: string, finder: Record<string, number>, value: (number | string)[]): Promise<[number, number]> {
  return page.evaluate(
    ([id, f, v]) => {
      const c = (globalThis as unknown as PageGlobals).KPU.charts[id]!;
      c.getDom().scrollIntoView({ block: "center" });
      const p = c.convertToPixel(f, v);
      const box = c.getDom().getBoundingClientRect();
      return [box.left + p[0]!, box.top + p[1]!] as [number, number];
    },
    [chart, finder, value] as const,
  );
}

const column = (page: Page, table: string, index: number) => page.locator(`#${table} tbody tr:not(.detail) td:nth-child(${index})`).allInnerTexts();

describe.skipIf(!HAVE_CHROMIUM)("kpu report in a browser", () => {
  let browser: Browser;
  const pages: Page[] = [];
  const open = async (file: string) => {
    const r = await openReport(browser, file);
    pages.push(r.page);
    return r;
  };
  beforeAll(async () => {
    browser = await launch();
  });
  afterAll(async () => {
    await browser.close();
  });

  it("a network analysis (ResNet-50 from kpu analyze): sortable, filterable layers, time per layer and roofline with hover values", async () => {
    const input = join(dir, "resnet50.json");
    writeFileSync(input, await cli("analyze", "--example", "resnet50", "--hw", "edge-ai", "--json"));
    type Layer = { id: string; latencyNs: number; op: string; roofline: { intensity: number; attained: number } };
    const doc = JSON.parse(readFileSync(input, "utf8")) as { kind: string; layers: Layer[] };
    expect(doc.kind).toBe("kpu.analysis");
    const { page, problems } = await open(await report(input, "analysis"));
    expect(compareScreenshot(await page.screenshot({ fullPage: true }), golden("analysis")).ratio).toBeLessThan(0.03);
    // sort by latency: ascending, then descending; equal latencies keep the network's order (a stable sort)
    const by = (dir: number) => doc.layers.map((l, i) => ({ l, i })).sort((a, b) => dir * (a.l.latencyNs - b.l.latencyNs) || a.i - b.i).map((x) => x.l);
    await page.click("#layer-table th[data-key=latencyNs]");
    expect(await column(page, "layer-table", 2)).toEqual(by(1).map((l) => l.id));
    await page.click("#layer-table th[data-key=latencyNs]");
    expect(await column(page, "layer-table", 2)).toEqual(by(-1).map((l) => l.id));
    // the filter matches any column's text: "pool" is in the pooling layers' ids and ops alone
    await page.fill("#layer-table-filter", "pool");
    const pools = by(-1).filter((l) => l.id.includes("pool") || l.op.includes("pool"));
    expect(pools.length).toBeGreaterThanOrEqual(2);
    expect(await column(page, "layer-table", 2)).toEqual(pools.map((l) => l.id));
    // hover the tallest bar: its latency as in the JSON
    const top = doc.layers.reduce((best, l, i) => (l.latencyNs > doc.layers[best]!.latencyNs ? i : best), 0);
    const [x, y] = await pixel(page, "time-chart", { xAxisIndex: 0, yAxisIndex: 0 }, [top, doc.layers[top]!.latencyNs / 2]);
    const tip = await hoverText(page, "time-chart", x, y);
    expect(tip).toContain(`${doc.layers[top]!.id} (${doc.layers[top]!.op})`);
    expect(tip).toContain(`latency ${fmt(doc.layers[top]!.latencyNs)} ns`);
    // the roofline point farthest from any other (log-log distance), so the hover cannot land on a neighbour
    const on = doc.layers.filter((l) => l.roofline.intensity > 0 && l.roofline.attained > 0);
    const dist = (a: Layer, b: Layer) => Math.hypot(Math.log10(a.roofline.intensity / b.roofline.intensity), Math.log10(a.roofline.attained / b.roofline.attained));
    const lone = on.reduce((best, l) => {
      const near = (c: Layer) => Math.min(...on.filter((o) => dist(o, c) > 0).map((o) => dist(o, c)));
      return near(l) > near(best) ? l : best;
    }, on[0]!);
    const [rx, ry] = await pixel(page, "roofline-chart", { xAxisIndex: 0, yAxisIndex: 0 }, [lone.roofline.intensity, lone.roofline.attained]);
    expect(await hoverText(page, "roofline-chart", rx, ry)).toContain(`intensity ${fmt(lone.roofline.intensity)} MAC/B`);
    expect(problems).toEqual([]);
  });

  it("an L3 sweep: best-strategy heatmap with ties, per-strategy values and overfetch curves on hover", async () => {
    const grid = join(dir, "grid.yaml");
    writeFileSync(grid, 'workloads:\n  - {name: "Small Square", m: 512, n: 512, k: 512}\n  - {name: "BERT MLP", m: 512, n: 768, k: 3072}\n  - {name: "Tall: Long Context Q×K^T", m: 4096, n: 128, k: 128}\nl3: ["256KiB", "1MiB", "16MiB"]\n');
    const out = join(dir, "sweep");
    await cli("l3", "sweep", "--grid", grid, "--out", out, "--workers", "1", "--json");
    const rows = (JSON.parse(readFileSync(join(out, "results.json"), "utf8")) as { rows: Record<string, string>[] }).rows;
    const { page, problems } = await open(await report(out, "sweep"));
    expect(compareScreenshot(await page.screenshot({ fullPage: true }), golden("sweep")).ratio).toBeLessThan(0.03);
    // every strategy moves the compulsory bytes of Small Square once at 16 MiB: a three-way tie, shown as one
    const at16 = rows.filter((r) => r.Workload_Name === "Small Square" && r.L3_Bytes === String(16 * 1024 * 1024));
    const least = Math.min(...at16.map((r) => Number(r.DRAM_Read_Bytes) + Number(r.DRAM_Write_Bytes)));
    const tied = at16.filter((r) => Number(r.DRAM_Read_Bytes) + Number(r.DRAM_Write_Bytes) === least).map((r) => r.Strategy);
    expect(tied.length).toBeGreaterThan(1);
    let [x, y] = await pixel(page, "heatmap-chart", { xAxisIndex: 0, yAxisIndex: 0 }, [2, 0]);
    expect(await hoverText(page, "heatmap-chart", x, y)).toContain(`least DRAM traffic: ${tied.join(" = ")} (tie)`);
    // the WS heatmap shows the WS row of results.json
    await page.click("#heat-WS");
    const ws = rows.find((r) => r.Workload_Name === "BERT MLP" && r.Strategy === "WS" && r.L3_Bytes === "262144")!;
    [x, y] = await pixel(page, "heatmap-chart", { xAxisIndex: 0, yAxisIndex: 0 }, [0, 1]);
    expect(await hoverText(page, "heatmap-chart", x, y)).toContain(`DRAM traffic / compulsory: ${fmt(Number(ws.Traffic_Over_Compulsory))}`);
    // one curve hover lists every strategy at that size, tied or not
    [x, y] = await pixel(page, "curve-1", { xAxisIndex: 0, yAxisIndex: 0 }, [1024 * 1024, Number(rows.find((r) => r.Workload_Name === "BERT MLP" && r.L3_Bytes === "1048576")!.Traffic_Over_Compulsory)]);
    const curveTip = await hoverText(page, "curve-1", x, y);
    for (const s of ["WS", "IS", "OS"]) expect(curveTip).toContain(`${s}: `);
    expect(problems).toEqual([]);
  });

  it("a simulation: the Gantt zooms, pans, finds a tile, and hover shows the trace's times", async () => {
    const trace = join(dir, "trace-256.json");
    const input = join(dir, "sim-256.json");
    writeFileSync(input, await cli("sim", "--hw", "edge-ai", "--m", "256", "--n", "256", "--k", "256", "--strategy", "os", "--json", "--trace", trace));
    const events = (JSON.parse(readFileSync(trace, "utf8")) as { traceEvents: { name: string; ph: string; ts: number; dur?: number; cat?: string }[] }).traceEvents;
    const { page, problems } = await open(await report(input, "sim"));
    expect(compareScreenshot(await page.screenshot({ fullPage: true }), golden("sim")).ratio).toBeLessThan(0.03);
    const range = () => page.locator("#gantt-range").innerText();
    const full = await range();
    expect(full).toMatch(/^showing 0 – [\d,.]+ ns of [\d,.]+ ns/);
    await page.click("#zoom-in");
    const zoomed = await range();
    expect(zoomed).not.toBe(full);
    await page.locator("#gantt-chart").scrollIntoViewIfNeeded();
    const box = (await page.locator("#gantt-chart").boundingBox())!;
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 3);
    await page.mouse.wheel(0, -400);
    await expect.poll(range).not.toBe(zoomed);
    // drag pans: the range moves, its span stays
    const before = await page.evaluate(() => (globalThis as unknown as PageGlobals).KPU.gantt.range());
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 3);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width / 2 - 150, box.y + box.height / 3, { steps: 5 });
    await page.mouse.up();
    const after = await page.evaluate(() => (globalThis as unknown as PageGlobals).KPU.gantt.range());
    expect(after[0]!).toBeGreaterThan(before[0]!);
    expect(after[1]! - after[0]!).toBeCloseTo(before[1]! - before[0]!, 3);
    // find a tile: the view moves to it and the tooltip shows its times as in the trace
    const target = events.find((e) => e.ph === "X" && e.name === "C[i=2,j=1] k=1")!;
    await page.fill("#tile-search", target.name);
    await page.press("#tile-search", "Enter");
    expect(await page.locator("#tile-status").innerText()).toMatch(/^match 1 of 1: C\[i=2,j=1\] k=1 on Fabric/);
    const [a, b] = await page.evaluate(() => (globalThis as unknown as PageGlobals).KPU.gantt.range());
    expect(a!).toBeLessThanOrEqual(target.ts * 1000);
    expect(b!).toBeGreaterThanOrEqual((target.ts + target.dur!) * 1000);
    const index = await page.evaluate((name) => (JSON.parse((globalThis as unknown as PageGlobals).document.getElementById("kpu-data")!.textContent) as { data: { timeline: { label: string[] } } }).data.timeline.label.indexOf(name), target.name);
    const [x, y] = await page.evaluate((i) => (globalThis as unknown as PageGlobals).KPU.gantt.pixelOf(i), index);
    const tip = await hoverText(page, "gantt-chart", x!, y!);
    expect(tip).toContain(target.name);
    expect(tip).toContain(`${fmt(target.ts * 1000)} – ${fmt((target.ts + target.dur!) * 1000)} ns`);
    // an 800-pixel window shows the whole page width: nothing is clipped (wide tables scroll in their own box)
    await page.setViewportSize({ width: 800, height: 800 });
    // the charts redraw on the window's resize event: give a loaded machine time to run it (a clipped page still fails)
    await page.waitForFunction(() => (globalThis as unknown as { document: { documentElement: { scrollWidth: number } } }).document.documentElement.scrollWidth <= 800, null, { timeout: 10_000 }).catch(() => undefined);
    const widths = await page.evaluate(() => {
      const d = (globalThis as unknown as { document: { documentElement: { scrollWidth: number }; getElementById: (id: string) => { getBoundingClientRect: () => { right: number } } } }).document;
      return [d.documentElement.scrollWidth, d.getElementById("gantt-chart").getBoundingClientRect().right];
    });
    expect(widths[0]!).toBeLessThanOrEqual(800);
    expect(widths[1]!).toBeLessThanOrEqual(800);
    expect(problems).toEqual([]);
  });

  it("a long simulation: bars narrower than a pixel are aggregated, and busy lanes look busy", async () => {
    const input = join(dir, "sim-1024.json");
    const doc = JSON.parse(await cli("sim", "--hw", "edge-ai", "--m", "1024", "--n", "1024", "--k", "1024", "--strategy", "os", "--json", "--trace", join(dir, "trace-1024.json"))) as { timeNs: number; resources: { busyCycles: number; clockMhz: number; tasks: number }[] };
    writeFileSync(input, JSON.stringify(doc));
    const { page, problems } = await open(await report(input, "sim-1024"));
    const drawn = await page.evaluate(() => (globalThis as unknown as PageGlobals).KPU.gantt.chart.getOption().series[0]!.data);
    const tasks = doc.resources.reduce((s, r) => s + r.tasks, 0);
    expect(drawn.length).toBeLessThan(tasks / 2);
    expect(drawn.some((d) => d[3] === 1)).toBe(true);
    // per lane, drawn busy time (single bars plus aggregate width x busy fraction) matches the report's busy time
    doc.resources.forEach((r, lane) => {
      const busy = drawn.filter((d) => d[0] === lane && (d[3] === 0 || d[3] === 1)).reduce((s, d) => s + (d[2]! - d[1]!) * d[5]!, 0);
      expect(Math.abs(busy - (r.busyCycles / r.clockMhz) * 1000) / doc.timeNs).toBeLessThan(0.05);
    });
    expect(problems).toEqual([]);
  });

  it("a design-space exploration: Pareto scatter with mappings on click, sensitivity, sortable points", async () => {
    // kpu dse is not in this build: the document is built from real analyses with @kpu/ir's types (fixtures.ts)
    const doc = dseExample();
    const input = join(dir, "dse.json");
    writeFileSync(input, JSON.stringify(doc));
    const { page, problems } = await open(await report(input, "dse"));
    expect(compareScreenshot(await page.screenshot({ fullPage: true }), golden("dse")).ratio).toBeLessThan(0.03);
    const ok = doc.points.filter((p) => p.feasible);
    // hover the Pareto point farthest (in pixels) from any other: its id and figures as in the JSON
    const pixels = await Promise.all(ok.map((p) => pixel(page, "pareto-chart", { xAxisIndex: 0, yAxisIndex: 0 }, [p.latencyNs!, p.energyPj!])));
    const gap = (i: number) => Math.min(...pixels.filter((_, j) => j !== i).map((q) => Math.hypot(q[0] - pixels[i]![0], q[1] - pixels[i]![1])));
    const lone = ok.map((p, i) => ({ p, i })).filter((x) => x.p.pareto).sort((a, b) => gap(b.i) - gap(a.i))[0]!;
    const [x, y] = await pixel(page, "pareto-chart", { xAxisIndex: 0, yAxisIndex: 0 }, [lone.p.latencyNs!, lone.p.energyPj!]);
    const tip = await hoverText(page, "pareto-chart", x, y);
    expect(tip).toContain(`${lone.p.id} (Pareto front)`);
    expect(tip).toContain(`latency ${fmt(lone.p.latencyNs!)} ns, energy ${fmt(lone.p.energyPj!)} pJ, area ${fmt(lone.p.areaMm2!)} mm²`);
    // click it: its parameters and the mapping of every fabric layer
    await page.mouse.click(x, y);
    await expect.poll(() => page.locator("#dse-point-title").innerText()).toBe(`${lone.p.id} (on the Pareto front)`);
    expect(await page.locator("#dse-point-params").innerText()).toBe(`arrayDim = ${fmt(lone.p.params.arrayDim!)}, l3BankKiB = ${fmt(lone.p.params.l3BankKiB!)}`);
    expect(await column(page, "point-layers", 2)).toEqual(lone.p.layers!.map((l) => l.id));
    const l1 = lone.p.layers![0]!.mapping.levels.l1;
    expect((await column(page, "point-layers", 5))[0]).toContain(`L1 ${l1.tile.m}x${l1.tile.n}x${l1.tile.k} ${l1.order}`);
    // sensitivity: the best latency at arrayDim = 32, then the best area
    const a32 = ok.filter((p) => p.params.arrayDim === 32).sort((a, b) => a.latencyNs! - b.latencyNs!)[0]!;
    const chartOf = async (param: string) => {
      // the sensitivity charts are sens-0, sens-1, ... in the page's order: find the parameter's by its title
      const titles = await page.evaluate(() => Object.entries((globalThis as unknown as { KPU: { charts: Record<string, { getOption: () => { title: { text: string }[] } }> } }).KPU.charts).filter(([k]) => /^sens-\d+$/.test(k)).map(([k, c]) => [k, c.getOption().title[0]!.text] as const));
      return titles.find(([, t]) => t.startsWith(param))![0];
    };
    let chart = await chartOf("arrayDim");
    let [sx, sy] = await pixel(page, chart, { xAxisIndex: 0, yAxisIndex: 0 }, [2, a32.latencyNs! / 2]);
    expect(await hoverText(page, chart, sx, sy)).toContain(`best latency: ${fmt(a32.latencyNs!)} ns (${a32.id})`);
    await page.click("#sens-areaMm2");
    chart = await chartOf("arrayDim");
    const a8 = ok.filter((p) => p.params.arrayDim === 8).sort((a, b) => a.areaMm2! - b.areaMm2!)[0]!;
    [sx, sy] = await pixel(page, chart, { xAxisIndex: 0, yAxisIndex: 0 }, [0, a8.areaMm2! / 2]);
    expect(await hoverText(page, chart, sx, sy)).toContain(`best area: ${fmt(a8.areaMm2!)} mm² (${a8.id})`);
    // the points table sorts by latency (infeasible points, with none, keep their order at the end)
    const latency = (p: (typeof doc.points)[number]) => p.latencyNs ?? Infinity;
    const byLatency = doc.points.map((p, i) => ({ p, i })).sort((a, b) => latency(a.p) - latency(b.p) || a.i - b.i).map((x) => x.p.id);
    await page.click("#point-table th[data-key=latencyNs]");
    expect(await column(page, "point-table", 2)).toEqual(byLatency);
    await page.fill("#point-table-filter", "KPU_HW_BUFFER_TOO_SMALL");
    expect(await column(page, "point-table", 2)).toEqual(doc.points.filter((p) => p.reason?.startsWith("KPU_HW_BUFFER_TOO_SMALL") === true).map((p) => p.id));
    expect(problems).toEqual([]);
  });

  it("CPU results: sortable table and speed-up on hover", async () => {
    const results = join(dir, "cpu.json");
    await cli("cpu", "bench", "--m", "32", "--n", "64", "--k", "64", "--variants", "baseline,seed-rules", "--runs", "3", "--out", results, "--json");
    const doc = JSON.parse(readFileSync(results, "utf8")) as { results: { variant: string; medianUs: number }[] };
    const { page, problems } = await open(await report(results, "cpu"));
    await page.click("#cpu-table th[data-key=medianUs]");
    const sorted = [...doc.results].sort((a, b) => a.medianUs - b.medianUs).map((r) => r.variant);
    expect(await column(page, "cpu-table", 1)).toEqual(sorted);
    const base = doc.results.find((r) => r.variant === "baseline")!.medianUs;
    const seed = doc.results.find((r) => r.variant === "seed-rules")!.medianUs;
    const [x, y] = await pixel(page, "speedup-chart", { xAxisIndex: 0, yAxisIndex: 0 }, [0, 1]);
    expect(await hoverText(page, "speedup-chart", x, y)).toContain(`speed-up over baseline: ${fmt(base / seed)}x`);
    expect(problems).toEqual([]);
  });
});
