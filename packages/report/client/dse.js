/* The kpu.dse view: the Pareto scatter (click a point for its parameters and mappings), sensitivity, the points table. */
(function () {
  "use strict";
  var KPU = window.KPU;
  var VIRIDIS = ["#440154", "#472d7b", "#3b528b", "#2c728e", "#21918c", "#28ae80", "#5ec962", "#addc30", "#fde725"];
  var AXES = [["latencyNs", "latency", "ns"], ["energyPj", "energy", "pJ"], ["areaMm2", "area", "mm²"]];

  function paramsText(doc, p) {
    return doc.parameters.map(function (q) { return q.name + " = " + KPU.fmt(p.params[q.name]); }).join(", ");
  }
  /** A mapping in one line: each level's tile, loop order and buffering, the grid, the fabric's dataflow and fold. */
  function mappingText(m) {
    var levels = ["l3", "l2", "l1"].map(function (n) {
      var l = m.levels[n];
      return n.toUpperCase() + " " + l.tile.m + "x" + l.tile.n + "x" + l.tile.k + " " + l.order + (l.buffers > 1 ? " x" + l.buffers : "");
    });
    return levels.join(", ") + "; grid " + m.grid.rows + "x" + m.grid.cols + (m.grid.multicast ? " multicast" : "") + "; fabric " + m.fabric.dataflow.toUpperCase() + " " + m.fabric.rows + "x" + m.fabric.cols;
  }
  function gemmText(g) {
    return g.m + "x" + g.n + "x" + g.k + (g.batch > 1 ? " x" + g.batch : "");
  }
  function pointTip(doc, p) {
    return p.id + (p.pareto ? " (Pareto front)" : "") + "\n" + paramsText(doc, p) + "\nlatency " + KPU.fmt(p.latencyNs) + " ns, energy " + KPU.fmt(p.energyPj) + " pJ, area " + KPU.fmt(p.areaMm2) + " mm²";
  }
  /** Log axes when the values span more than a factor of 20. */
  function axisType(values) {
    var lo = Math.min.apply(null, values), hi = Math.max.apply(null, values);
    return lo > 0 && hi / lo > 20 ? "log" : "value";
  }

  function showPoint(holder, doc, p) {
    while (holder.firstChild) holder.removeChild(holder.firstChild);
    holder.appendChild(KPU.el("h3", { id: "dse-point-title", text: p.id + (p.pareto ? " (on the Pareto front)" : p.feasible ? "" : " (infeasible)") }));
    holder.appendChild(KPU.el("p", { id: "dse-point-params", text: paramsText(doc, p) }));
    if (!p.feasible) {
      holder.appendChild(KPU.el("p", { class: "warn", text: "infeasible: " + p.reason }));
      return;
    }
    holder.appendChild(KPU.el("p", { class: "note", text: "latency " + KPU.fmt(p.latencyNs) + " ns, energy " + KPU.fmt(p.energyPj) + " pJ, area " + KPU.fmt(p.areaMm2) + " mm²" + (p.cycles === undefined ? "" : ", " + KPU.fmt(p.cycles) + " cycles") + (p.dramBytes === undefined ? "" : ", DRAM " + KPU.fmt(p.dramBytes) + " B") }));
    var layers = (p.layers || []).map(function (l, i) {
      return { index: i, id: l.id, op: l.op, gemm: gemmText(l.gemm), mapping: mappingText(l.mapping), cycles: l.cycles, energyPj: l.energyPj, dramBytes: l.dramBytes };
    });
    if (layers.length === 0) { holder.appendChild(KPU.el("p", { class: "note", text: "no fabric layers listed for this point" })); return; }
    KPU.table(holder, "point-layers", [
      { key: "index", title: "#", num: true },
      { key: "id", title: "layer" },
      { key: "op", title: "op" },
      { key: "gemm", title: "GEMM m x n x k" },
      { key: "mapping", title: "mapping" },
      { key: "cycles", title: "cycles", num: true },
      { key: "energyPj", title: "energy pJ", num: true },
      { key: "dramBytes", title: "DRAM B", num: true },
    ], layers);
  }

  function scatter(parent, doc, holder) {
    var ok = doc.points.filter(function (p) { return p.feasible; });
    var areas = ok.map(function (p) { return p.areaMm2; });
    var lo = Math.min.apply(null, areas), hi = Math.max.apply(null, areas);
    var data = function (front) {
      return ok.filter(function (p) { return p.pareto === front; }).map(function (p) { return { value: [p.latencyNs, p.energyPj, p.areaMm2], point: p }; });
    };
    var chart = KPU.chart(parent, "pareto-chart", {
      // the legend tells the two series apart by size and outline; the colour of a point is its area
      legend: { top: 0, data: [{ name: "Pareto front", itemStyle: { color: "#fff", borderColor: "#000", borderWidth: 2 } }, { name: "other feasible points", itemStyle: { color: "#888" } }] },
      grid: { left: 10, right: 90, top: 40, bottom: 30, containLabel: true },
      tooltip: { trigger: "item", formatter: function (p) { return pointTip(doc, p.data.point); } },
      xAxis: { type: axisType(ok.map(function (p) { return p.latencyNs; })), scale: true, name: "latency (ns)", nameLocation: "middle", nameGap: 25, axisLabel: { formatter: function (v) { return KPU.fmt(v); } } },
      yAxis: { type: axisType(ok.map(function (p) { return p.energyPj; })), scale: true, name: "energy (pJ)", axisLabel: { formatter: function (v) { return KPU.fmt(v); } } },
      visualMap: { type: "continuous", dimension: 2, min: lo, max: hi > lo ? hi : lo + 1, inRange: { color: VIRIDIS }, text: ["area mm²", ""], right: 0, top: 40, calculable: false, precision: 2, seriesIndex: [0, 1] },
      series: [
        // the front on top, larger and outlined; the colour is the area
        { name: "Pareto front", type: "scatter", z: 3, symbolSize: 15, itemStyle: { borderColor: "#000", borderWidth: 2 }, data: data(true) },
        { name: "other feasible points", type: "scatter", z: 2, symbolSize: 8, itemStyle: { opacity: 0.85 }, data: data(false) },
      ],
    });
    chart.on("click", function (e) {
      if (e.data && e.data.point) showPoint(holder, doc, e.data.point);
    });
    return chart;
  }

  function sensitivity(parent, view) {
    var controls = KPU.el("div", { class: "controls", role: "group" });
    parent.appendChild(controls);
    var grid = KPU.el("div", { class: "small-multiples", id: "sensitivity" });
    parent.appendChild(grid);
    function show(axis) {
      Object.keys(KPU.charts).forEach(function (k) { if (k.indexOf("sens-") === 0) { KPU.charts[k].dispose(); delete KPU.charts[k]; } });
      while (grid.firstChild) grid.removeChild(grid.firstChild);
      var a = AXES.filter(function (x) { return x[0] === axis; })[0];
      view.sensitivity.forEach(function (s, i) {
        var spread = s.spread[axis];
        KPU.chart(grid, "sens-" + i, {
          title: { text: s.parameter + (spread === null ? "" : " (best x" + KPU.fmt(spread, 2) + " over its values)"), textStyle: { fontSize: 12 }, left: 4, top: 2 },
          grid: { left: 8, right: 14, top: 44, bottom: 22, containLabel: true },
          tooltip: { trigger: "item", formatter: function (p) {
            var v = s.values[p.dataIndex], b = v.best[axis];
            return s.parameter + " = " + KPU.fmt(v.value) + "\nbest " + a[1] + ": " + (b === null ? "none feasible" : KPU.fmt(b.value) + " " + a[2] + " (" + b.id + ")") + "\nfeasible " + v.feasible + " of " + v.points + " points";
          } },
          xAxis: { type: "category", data: s.values.map(function (v) { return KPU.fmt(v.value) + (v.feasible === 0 ? "\n(none feasible)" : ""); }), axisLabel: { fontSize: 9, interval: 0 } },
          // bars from zero: a bar's height is its value
          yAxis: { type: "value", name: a[2], nameTextStyle: { fontSize: 9, align: "right" }, axisLabel: { fontSize: 9, formatter: function (v) { return KPU.fmt(v); } } },
          series: [{ type: "bar", itemStyle: { color: "#4e79a7" }, data: s.values.map(function (v) { return v.best[axis] === null ? "-" : v.best[axis].value; }) }],
        }, "chart");
      });
      Array.prototype.forEach.call(controls.children, function (b) { b.setAttribute("aria-pressed", String(b.getAttribute("data-choice") === axis)); });
    }
    AXES.forEach(function (a) {
      var b = KPU.el("button", { "data-choice": a[0], id: "sens-" + a[0], text: "best " + a[1] });
      b.addEventListener("click", function () { show(a[0]); });
      controls.appendChild(b);
    });
    show("latencyNs");
  }

  KPU.views.dse = function (view) {
    var doc = view.doc;
    var ok = doc.points.filter(function (p) { return p.feasible; });
    var front = ok.filter(function (p) { return p.pareto; });
    var head = KPU.section("summary", doc.model.name + " over " + doc.baseHardware, "model " + doc.model.source + "; mapper objective " + doc.objective + "; " + doc.tool.name + " " + doc.tool.version);
    KPU.cards(head, [
      ["points", KPU.fmt(doc.points.length)],
      ["feasible", KPU.fmt(ok.length)],
      ["on the Pareto front", KPU.fmt(front.length)],
      ["parameters", doc.parameters.map(function (p) { return p.name; }).join(", ")],
    ]);
    var off = doc.points.length - ok.length;
    if (off > 0) head.appendChild(KPU.el("p", { class: "warn", text: off + " infeasible point(s) are not in the scatter (the table lists them with the reason)" }));
    var par = KPU.section("pareto", "Pareto front", "latency against energy, colour: area; outlined: on the front over latency, energy and area (all minimised); click a point for its parameters and the mapping of every layer");
    var holder = KPU.el("div", { id: "dse-point" }, [KPU.el("p", { class: "note", text: "no point selected" })]);
    if (ok.length > 0) scatter(par, doc, holder);
    par.appendChild(holder);
    sensitivity(KPU.section("sensitivity", "Sensitivity", "for each value of a parameter, the best over the feasible points with that value (the other parameters free); parameters by their effect on latency, largest first"), view);
    var rows = doc.points.map(function (p, i) {
      var r = { index: i, id: p.id, feasible: p.feasible ? "yes" : "no", pareto: p.pareto ? "yes" : "", reason: p.reason || "", point: p };
      doc.parameters.forEach(function (q) { r["param:" + q.name] = p.params[q.name]; });
      ["latencyNs", "energyPj", "areaMm2", "cycles", "dramBytes"].forEach(function (k) { r[k] = p[k] === undefined ? Infinity : p[k]; });
      return r;
    });
    var dash = function (v) { return v === Infinity ? "—" : KPU.fmt(v); };
    KPU.table(KPU.section("points", "Points", "click a header to sort, type to filter, click a row for its mappings"), "point-table",
      [{ key: "index", title: "#", num: true }, { key: "id", title: "point" }]
        .concat(doc.parameters.map(function (q) { return { key: "param:" + q.name, title: q.name, num: true }; }))
        .concat([
          { key: "feasible", title: "feasible" },
          { key: "pareto", title: "Pareto" },
          { key: "latencyNs", title: "latency ns", num: true, format: dash },
          { key: "energyPj", title: "energy pJ", num: true, format: dash },
          { key: "areaMm2", title: "area mm²", num: true, format: dash },
          { key: "cycles", title: "cycles", num: true, format: dash },
          { key: "dramBytes", title: "DRAM B", num: true, format: dash },
          { key: "reason", title: "why infeasible" },
        ]),
      rows, { detail: function (r) {
        var p = r.point;
        if (!p.feasible) return paramsText(doc, p) + "; infeasible: " + p.reason;
        return paramsText(doc, p) + "; " + (p.layers || []).map(function (l) { return l.id + " " + gemmText(l.gemm) + ": " + mappingText(l.mapping); }).join("; ");
      } });
  };
})();
