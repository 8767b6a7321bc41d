/* The CPU benchmark view: speed-up heatmap over the reference variant, latency per kernel, and the results table. */
(function () {
  "use strict";
  var KPU = window.KPU;
  var PALETTE = ["#4e79a7", "#f28e2b", "#59a14f", "#b07aa1", "#76b7b2", "#e15759", "#edc948", "#9c755f"];

  /** Diverging colours around 1 (log scale): red slower, white equal, blue faster than the reference. */
  function speedColor(v, maxLog) {
    var t = maxLog > 0 ? Math.max(-1, Math.min(1, Math.log(v) / maxLog)) : 0;
    var to = t >= 0 ? [33, 102, 172] : [178, 24, 43];
    var a = Math.abs(t);
    var c = [247 + (to[0] - 247) * a, 247 + (to[1] - 247) * a, 247 + (to[2] - 247) * a].map(Math.round);
    return "rgb(" + c.join(",") + ")";
  }

  KPU.views.cpu = function (view) {
    var head = KPU.section("host", "CPU benchmark", view.host + "; " + view.threads + " thread(s)" + (view.peakGflops === null ? "" : "; FMA peak " + KPU.fmt(view.peakGflops, 1) + " GFLOP/s"));
    if (view.failures.length > 0) head.appendChild(KPU.el("p", { class: "warn", text: view.failures.length + " variant x shape failed: " + view.failures.map(function (f) { return f.variant + " " + f.m + "x" + f.n + "x" + f.k + " (" + f.reason + ")"; }).join("; ") }));
    var variants = view.results.map(function (r) { return r.variant; }).filter(function (v, i, a) { return a.indexOf(v) === i; });
    if (view.reference !== null) {
      var s = KPU.section("speedup", "Speed-up over " + view.reference, "reference median latency / variant median latency; hover a cell");
      var maxLog = Math.max.apply(null, view.speedups.map(function (c) { return Math.abs(Math.log(c.value)); }).concat([0.01]));
      var cells = view.speedups.map(function (c) {
        var color = speedColor(c.value, maxLog);
        return { value: [view.columns.indexOf(c.column), variants.indexOf(c.variant), c.value], cell: c, itemStyle: { color: color }, label: { color: KPU.textOn(color), formatter: KPU.fmt(c.value, 2) } };
      });
      KPU.chart(s, "speedup-chart", {
        grid: { left: 10, right: 20, top: 10, bottom: 10, containLabel: true },
        tooltip: { trigger: "item", formatter: function (p) { var c = p.data.cell; return c.variant + ", " + c.column + "\nspeed-up over " + view.reference + ": " + KPU.fmt(c.value) + "x"; } },
        xAxis: { type: "category", data: view.columns, axisLabel: { rotate: view.columns.length > 6 ? 40 : 0, interval: 0 } },
        yAxis: { type: "category", data: variants },
        series: [{ type: "heatmap", data: cells, label: { show: true, fontSize: 10 } }],
      }).getDom().style.height = Math.max(160, 90 + variants.length * 34) + "px";
      KPU.charts["speedup-chart"].resize();
    }
    var lat = KPU.section("latency", "Median latency against M", "one chart line per variant and kernel; log scale");
    var kernels = view.results.map(function (r) { return r.kernel; }).filter(function (v, i, a) { return a.indexOf(v) === i; });
    KPU.chart(lat, "latency-chart", {
      legend: { top: 0, type: "scroll" },
      grid: { left: 10, right: 30, top: 34, bottom: 30, containLabel: true },
      tooltip: { trigger: "item", formatter: function (p) { var r = p.data.r; return r.variant + " " + r.m + "x" + r.n + "x" + r.k + "\nmedian " + KPU.fmt(r.medianUs) + " us, p10 " + KPU.fmt(r.p10Us) + " us\n" + KPU.fmt(r.gflops, 1) + " GFLOP/s" + (r.noisy ? " (noisy)" : ""); } },
      xAxis: { type: "log", logBase: 2, name: "M", nameLocation: "middle", nameGap: 24 },
      yAxis: { type: "log", name: "us" },
      series: [].concat.apply([], kernels.map(function (k) {
        return variants.map(function (v, vi) {
          var rs = view.results.filter(function (r) { return r.kernel === k && r.variant === v; }).sort(function (a, b) { return a.m - b.m; });
          return { name: v + (kernels.length > 1 ? " " + k : ""), type: "line", itemStyle: { color: PALETTE[vi % PALETTE.length] }, data: rs.map(function (r) { return { value: [r.m, r.medianUs], r: r }; }) };
        });
      })).filter(function (sr) { return sr.data.length > 0; }),
    });
    KPU.table(KPU.section("results", "Results", "click a header to sort, type to filter"), "cpu-table", [
      { key: "variant", title: "variant" },
      { key: "kernel", title: "kernel" },
      { key: "m", title: "M", num: true },
      { key: "n", title: "N", num: true },
      { key: "k", title: "K", num: true },
      { key: "medianUs", title: "median us", num: true },
      { key: "p10Us", title: "p10 us", num: true },
      { key: "gflops", title: "GFLOP/s", num: true },
      { key: "runs", title: "runs", num: true },
      { key: "noisy", title: "noisy" },
    ], view.results);
  };
})();
