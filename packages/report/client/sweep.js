/* The L3 sweep view: heatmaps (workload x L3 size) per strategy and of the best strategy, and overfetch curves. */
(function () {
  "use strict";
  var KPU = window.KPU;
  // viridis, 9 stops: perceptually even, readable in grey
  var VIRIDIS = ["#440154", "#472d7b", "#3b528b", "#2c728e", "#21918c", "#28ae80", "#5ec962", "#addc30", "#fde725"];
  var PALETTE = ["#4e79a7", "#f28e2b", "#59a14f", "#b07aa1", "#76b7b2", "#edc948", "#ff9da7", "#9c755f", "#bab0ac"];
  var SYMBOLS = ["circle", "rect", "triangle", "diamond", "pin"];
  var DASHES = ["solid", "dashed", "dotted", "solid", "dashed"];

  function hex(c) { return c.map(function (v) { return ("0" + Math.round(v).toString(16)).slice(-2); }).join(""); }
  /** The colour of t in [0, 1] on viridis. */
  function viridis(t) {
    var x = Math.max(0, Math.min(1, t)) * (VIRIDIS.length - 1), i = Math.min(VIRIDIS.length - 2, Math.floor(x)), f = x - i;
    var a = VIRIDIS[i], b = VIRIDIS[i + 1];
    var ca = [1, 3, 5].map(function (k) { return parseInt(a.substr(k, 2), 16); });
    var cb = [1, 3, 5].map(function (k) { return parseInt(b.substr(k, 2), 16); });
    return "#" + hex(ca.map(function (v, k) { return v + (cb[k] - v) * f; }));
  }
  function short(v) { return v >= 100 ? KPU.fmt(v, 0) : v >= 10 ? KPU.fmt(v, 1) : KPU.fmt(v, 2); }

  function heatmap(parent, id, view, cells, tip) {
    var sizes = view.l3Sizes.map(KPU.bytes);
    return KPU.chart(parent, id, {
      grid: { left: 10, right: 20, top: 10, bottom: 30, containLabel: true },
      tooltip: { trigger: "item", formatter: function (p) { return tip(p.data.cell); } },
      xAxis: { type: "category", data: sizes, name: "L3 size", nameLocation: "middle", nameGap: 25, splitArea: { show: true } },
      yAxis: { type: "category", data: view.workloads, inverse: true, axisLabel: { interval: 0 } },
      series: [{ type: "heatmap", data: cells, label: { show: true, fontSize: 10 }, emphasis: { itemStyle: { borderColor: "#000", borderWidth: 1 } } }],
    }, "chart heat");
  }

  function valueCells(view, strategy) {
    var pts = view.points.filter(function (p) { return p.strategy === strategy; });
    var vals = view.points.map(function (p) { return Math.log(Math.max(p.value, 1e-9)); });
    var lo = Math.min.apply(null, vals), hi = Math.max.apply(null, vals);
    return pts.map(function (p) {
      var color = viridis(hi > lo ? (Math.log(Math.max(p.value, 1e-9)) - lo) / (hi - lo) : 0);
      return { value: [view.l3Sizes.indexOf(p.l3Bytes), view.workloads.indexOf(p.workload), p.value], cell: p,
        itemStyle: { color: color }, label: { color: KPU.textOn(color), formatter: short(p.value) } };
    });
  }

  function bestCells(view) {
    var labels = [];
    view.best.forEach(function (b) { var l = b.strategies.join("="); if (labels.indexOf(l) < 0) labels.push(l); });
    labels.sort(function (a, b) { return a.split("=").length - b.split("=").length || a.localeCompare(b); });
    return view.best.map(function (b) {
      var l = b.strategies.join("="), color = PALETTE[labels.indexOf(l) % PALETTE.length];
      return { value: [view.l3Sizes.indexOf(b.l3Bytes), view.workloads.indexOf(b.workload), 0], cell: b,
        itemStyle: { color: color }, label: { color: KPU.textOn(color), formatter: l } };
    });
  }

  function curves(parent, view) {
    var grid = KPU.el("div", { class: "small-multiples", id: "curves" });
    parent.appendChild(grid);
    view.workloads.forEach(function (w, wi) {
      var pts = view.points.filter(function (p) { return p.workload === w; });
      if (pts.length === 0) return;
      KPU.chart(grid, "curve-" + wi, {
        title: { text: w, textStyle: { fontSize: 12 }, left: 4, top: 2 },
        legend: { top: 20, itemWidth: 18, textStyle: { fontSize: 10 } },
        grid: { left: 8, right: 14, top: 44, bottom: 22, containLabel: true },
        tooltip: { trigger: "axis", formatter: function (ps) {
          return w + ", L3 " + KPU.bytes(ps[0].value[0]) + "\n" + ps.map(function (p) { return p.seriesName + ": " + KPU.fmt(p.value[1]) + " (tiles " + p.data.tiles + ")"; }).join("\n");
        } },
        xAxis: { type: "log", logBase: 2, axisLabel: { fontSize: 9, hideOverlap: true, formatter: function (v) { return KPU.bytes(v); } } },
        yAxis: { type: "log", scale: true, axisLabel: { fontSize: 9 } },
        // widest line first: a tied strategy drawn later stays visible on top of it (dash and marker differ too)
        series: view.strategies.map(function (s, i) {
          return { name: s, type: "line", z: 2 + i, symbol: SYMBOLS[i % SYMBOLS.length], symbolSize: 7 - i, lineStyle: { width: Math.max(1, 3.5 - i), type: DASHES[i % DASHES.length] }, itemStyle: { color: PALETTE[i % PALETTE.length] },
            data: pts.filter(function (p) { return p.strategy === s; }).sort(function (a, b) { return a.l3Bytes - b.l3Bytes; }).map(function (p) { return { value: [p.l3Bytes, p.value], tiles: p.tiles }; }) };
        }),
      }, "chart");
    });
  }

  KPU.views.sweep = function (view) {
    var head = KPU.section("summary", "Sweep", view.workloads.length + " workloads x " + view.strategies.length + " strategies x " + view.l3Sizes.length + " L3 sizes, model " + view.model + "; metric: " + view.metric);
    if (view.failed.length > 0) head.appendChild(KPU.el("p", { class: "warn", text: view.failed.length + " configuration(s) failed and are not drawn (first: " + view.failed[0].workload + " " + view.failed[0].strategy + " " + KPU.bytes(view.failed[0].l3Bytes) + ": " + view.failed[0].reason + ")" }));
    var heat = KPU.section("heatmap", "Heatmap: workload x L3 size", "colour on a log scale; hover a cell for its value");
    var controls = KPU.el("div", { class: "controls", role: "group" });
    heat.appendChild(controls);
    var holder = KPU.el("div");
    heat.appendChild(holder);
    var height = Math.max(200, 34 + view.workloads.length * 26) + "px";
    function show(choice) {
      while (holder.firstChild) holder.removeChild(holder.firstChild);
      if (KPU.charts["heatmap-chart"]) { KPU.charts["heatmap-chart"].dispose(); delete KPU.charts["heatmap-chart"]; }
      var cells = choice === "best" ? bestCells(view) : valueCells(view, choice);
      var tip = choice === "best"
        ? function (b) { return b.workload + ", L3 " + KPU.bytes(b.l3Bytes) + "\nleast DRAM traffic: " + b.strategies.join(" = ") + (b.strategies.length > 1 ? " (tie)" : "") + "\n" + view.metric + ": " + KPU.fmt(b.ratio); }
        : function (p) { return p.workload + ", " + p.strategy + ", L3 " + KPU.bytes(p.l3Bytes) + "\n" + view.metric + ": " + KPU.fmt(p.value) + "\nDRAM bytes " + KPU.fmt(p.dramBytes) + ", tiles " + p.tiles; };
      var chart = heatmap(holder, "heatmap-chart", view, cells, tip);
      chart.getDom().style.height = height;
      chart.resize();
      Array.prototype.forEach.call(controls.children, function (b) { b.setAttribute("aria-pressed", String(b.getAttribute("data-choice") === choice)); });
    }
    view.strategies.concat(["best"]).forEach(function (s) {
      var b = KPU.el("button", { "data-choice": s, id: "heat-" + s, text: s === "best" ? "best strategy" : s });
      b.addEventListener("click", function () { show(s); });
      controls.appendChild(b);
    });
    show("best");
    curves(KPU.section("curves", "Overfetch curves", view.metric + " against L3 size per workload, one line per strategy; hover for every strategy's value at a size"), view);
  };
})();
