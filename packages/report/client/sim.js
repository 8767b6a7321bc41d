/* The simulation view: totals, where each engine's time goes, traffic per level, and the Gantt chart of tasks. */
(function () {
  "use strict";
  var KPU = window.KPU;
  var PARTS = [["busy", "busyCycles", "#4e79a7"], ["stalled: data", "stalledDataCycles", "#e15759"], ["stalled: credit", "stalledCreditCycles", "#d4a72c"], ["idle", "idleCycles", "#d0d7de"]];

  KPU.views.sim = function (view) {
    var r = view.report;
    var head = KPU.section("totals", r.hardware + ": " + r.m + "x" + r.n + "x" + r.k + " " + String(r.strategy).toUpperCase(), r.tiles ? "tiles " + r.tiles.m + "x" + r.tiles.n + "x" + r.tiles.k + ", " + r.activeComputeTiles + " compute tile(s), fabric dataflow " + r.dataflow : "");
    KPU.cards(head, [
      ["time (ns)", KPU.fmt(r.timeNs)],
      ["fabric cycles", KPU.fmt(r.totalCycles)],
      ["fabric busy", KPU.pct(r.fabricUtilisation)],
      ["MACs at peak", KPU.pct(r.macUtilisation)],
      ["slowest mover", String(r.slowestMover)],
      ["energy (pJ)", KPU.fmt(r.energyPj.total)],
    ]);
    var engines = KPU.section("engines", "Where each engine's time goes", "in microseconds of the engine's own clock; hover a segment for cycles");
    KPU.chart(engines, "engine-chart", {
      legend: { top: 0 },
      grid: { left: 10, right: 30, top: 30, bottom: 10, containLabel: true },
      tooltip: { trigger: "item", formatter: function (p) {
        var x = r.resources[p.dataIndex];
        return x.resource + " (" + KPU.fmt(x.clockMhz) + " MHz): " + p.seriesName + "\n" + KPU.fmt(x[PARTS[p.seriesIndex][1]]) + " cycles = " + KPU.fmt(p.value) + " us";
      } },
      yAxis: { type: "category", data: r.resources.map(function (x) { return x.resource; }), inverse: true },
      xAxis: { type: "value", name: "us" },
      series: PARTS.map(function (part) {
        return { name: part[0], type: "bar", stack: "t", itemStyle: { color: part[2] }, data: r.resources.map(function (x) { return x[part[1]] / x.clockMhz; }) };
      }),
    }).getDom().style.height = "220px";
    KPU.charts["engine-chart"].resize();
    KPU.table(KPU.section("levels", "Memory levels", "bytes across each level's read port, achieved and peak bandwidth, energy"), "level-table", [
      { key: "level", title: "level" },
      { key: "readBytes", title: "read B", num: true },
      { key: "writeBytes", title: "write B", num: true },
      { key: "achievedGBps", title: "GB/s", num: true },
      { key: "peakGBps", title: "peak GB/s", num: true },
      { key: "energyPj", title: "energy pJ", num: true },
    ], r.levels);
    var t = view.timeline;
    var shown = t === null ? "" : t.tiles > 1 ? t.tile + ", the first of the trace's " + t.tiles + " compute tiles (Perfetto shows them all); " : t.tile + "; ";
    var g = KPU.section("gantt", "Timeline", t === null ? view.note : shown + "one lane per engine; wheel or slider to zoom, drag to pan, hover for a task; a thin band below the bars shows stalls (red: waiting for data, yellow: for a credit)");
    if (view.timeline !== null) KPU.ganttView(g, view.timeline, r.timeNs);
  };
})();
