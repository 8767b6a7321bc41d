/* The kpu.analysis view: totals, where the time goes per layer, the roofline, and the layer table. */
(function () {
  "use strict";
  var KPU = window.KPU;
  var BOUNDS = ["fabric", "vector", "dram", "l3", "l2", "none"];
  var COLORS = { fabric: "#4e79a7", vector: "#59a14f", dram: "#e15759", l3: "#f28e2b", l2: "#edc948", none: "#9c9c9c" };

  function layerTip(l, total) {
    return l.id + " (" + l.op + ")\nlatency " + KPU.fmt(l.latencyNs) + " ns (" + KPU.pct(total > 0 ? l.latencyNs / total : 0) + " of the network)\n" +
      "cycles " + KPU.fmt(l.cycles) + ", bound: " + l.bound + "\nMACs " + KPU.fmt(l.macs) + ", DRAM " + KPU.fmt(l.bytes.dram) + " B";
  }

  function timeChart(parent, layers, total) {
    var used = BOUNDS.filter(function (b) { return layers.some(function (l) { return l.bound === b; }); });
    return KPU.chart(parent, "time-chart", {
      legend: { top: 0 },
      grid: { left: 10, right: 20, top: 30, bottom: 10, containLabel: true },
      tooltip: { trigger: "item", formatter: function (p) { return layerTip(layers[p.dataIndex], total); } },
      xAxis: { type: "category", data: layers.map(function (l) { return l.id; }), axisLabel: { rotate: layers.length > 12 ? 45 : 0, interval: layers.length > 30 ? "auto" : 0, hideOverlap: true } },
      yAxis: { type: "value", name: "latency (ns)" },
      series: used.map(function (b) {
        return { name: b, type: "bar", stack: "time", itemStyle: { color: COLORS[b] }, data: layers.map(function (l) { return l.bound === b ? l.latencyNs : "-"; }) };
      }),
    });
  }

  function rooflineChart(parent, layers, bw, peakMacs) {
    var on = layers.filter(function (l) { return l.roofline.intensity > 0 && l.roofline.attained > 0 && isFinite(l.roofline.intensity); });
    var off = layers.length - on.length;
    if (off > 0) parent.appendChild(KPU.el("p", { class: "note", text: off + " layer(s) with no DRAM traffic or no MACs are not on the log-log roofline." }));
    if (on.length === 0) return null;
    var xs = on.map(function (l) { return l.roofline.intensity; });
    // one roof: the chip's compute peak (a layer's roofline.peak is the roof at its own intensity, which below the
    // ridge is the memory roof), so without the hardware the highest of them stands for it
    var peak = peakMacs !== null ? peakMacs : Math.max.apply(null, on.map(function (l) { return l.roofline.peak; }));
    var ridges = bw === null ? [] : [peak / bw];
    // whole decades around the points and the ridge point, so the memory roof's slope is in view
    var lo = Math.pow(10, Math.floor(Math.log10(Math.min.apply(null, xs.concat(ridges)) / 2)));
    var hi = Math.pow(10, Math.ceil(Math.log10(Math.max.apply(null, xs.concat(ridges)) * 2)));
    var pts = [];
    if (bw !== null) {
      [lo, peak / bw, hi].forEach(function (x) { if (x >= lo && x <= hi) pts.push([x, Math.min(peak, x * bw)]); });
    } else pts = [[lo, peak], [hi, peak]];
    var roofs = [{ name: "roof (peak " + KPU.fmt(peak) + " MAC/cycle" + (bw === null ? "" : ", DRAM " + KPU.fmt(bw, 2) + " B/cycle") + ")", type: "line", data: pts, symbol: "none", lineStyle: { color: "#444", type: "dashed", width: 1 }, tooltip: { show: false }, silent: true }];
    var used = BOUNDS.filter(function (b) { return on.some(function (l) { return l.bound === b; }); });
    var points = used.map(function (b) {
      var ls = on.filter(function (l) { return l.bound === b; });
      return { name: b, type: "scatter", symbolSize: 9, itemStyle: { color: COLORS[b] }, data: ls.map(function (l) { return { value: [l.roofline.intensity, l.roofline.attained], layer: l }; }) };
    });
    return KPU.chart(parent, "roofline-chart", {
      legend: { top: 0 },
      grid: { left: 10, right: 30, top: 40, bottom: 30, containLabel: true },
      tooltip: { trigger: "item", formatter: function (p) {
        var l = p.data.layer;
        return l.id + " (" + l.op + ", bound: " + l.bound + ")\nintensity " + KPU.fmt(l.roofline.intensity) + " MAC/B\nattained " + KPU.fmt(l.roofline.attained) + " of peak " + KPU.fmt(l.roofline.peak) + " MAC/cycle";
      } },
      xAxis: { type: "log", name: "MACs per DRAM byte", nameLocation: "middle", nameGap: 25, min: lo, max: hi, axisLabel: { formatter: function (v) { return KPU.fmt(v); } } },
      yAxis: { type: "log", name: "MACs per cycle", min: function (v) { return Math.pow(10, Math.floor(Math.log10(Math.min(v.min, bw === null ? v.min : lo * bw)))); }, max: function (v) { return Math.pow(10, Math.ceil(Math.log10(v.max))); }, axisLabel: { formatter: function (v) { return KPU.fmt(v); } } },
      series: roofs.concat(points),
    });
  }

  KPU.views.analysis = function (view) {
    var doc = view.doc, t = doc.totals, layers = doc.layers;
    var head = KPU.section("totals", doc.model.name + " on " + doc.hardware, "model " + doc.model.source);
    KPU.cards(head, [
      ["latency (ns)", KPU.fmt(t.latencyNs)],
      ["cycles", KPU.fmt(t.cycles)],
      ["throughput (" + t.throughput.unit + ")", KPU.fmt(t.throughput.value)],
      ["MACs", KPU.fmt(t.macs)],
      ["parameters", KPU.fmt(t.params)],
      ["DRAM bytes", KPU.fmt(t.dramBytes)],
      ["energy (pJ)", KPU.fmt(t.energyPj)],
      ["fabric utilization", KPU.pct(t.fabricUtilization)],
      ["vector utilization", KPU.pct(t.vectorUtilization)],
    ]);
    var total = layers.reduce(function (s, l) { return s + l.latencyNs; }, 0);
    timeChart(KPU.section("time", "Where the time goes", "latency per layer, coloured by what bounds it; hover a bar for its numbers"), layers, total);
    rooflineChart(KPU.section("roofline", "Roofline", "each layer at its arithmetic intensity (MACs per DRAM byte) and attained MACs per cycle; dashed: the roof" + (view.dramBytesPerCycle === null ? " (peak only: DRAM bandwidth unknown for this hardware)" : "")), layers, view.dramBytesPerCycle, view.peakMacsPerCycle);
    var rows = layers.map(function (l, i) {
      return { index: i, id: l.id, op: l.op, shape: l.outputShape.join("x"), macs: l.macs, unit: l.unit, cycles: l.cycles, latencyNs: l.latencyNs, share: total > 0 ? l.latencyNs / total : 0,
        fabric: l.fabricUtilization, vector: l.vectorUtilization, dram: l.bytes.dram, energyPj: l.energyPj, bound: l.bound, intensity: l.roofline.intensity, layer: l };
    });
    KPU.table(KPU.section("layers", "Layers", "click a header to sort, type to filter, click a row for its mapping"), "layer-table", [
      { key: "index", title: "#", num: true },
      { key: "id", title: "layer" },
      { key: "op", title: "op" },
      { key: "shape", title: "output" },
      { key: "macs", title: "MACs", num: true },
      { key: "unit", title: "unit" },
      { key: "cycles", title: "cycles", num: true },
      { key: "latencyNs", title: "latency ns", num: true },
      { key: "share", title: "share", num: true, format: KPU.pct },
      { key: "fabric", title: "fabric util", num: true, format: KPU.pct },
      { key: "vector", title: "vector util", num: true, format: KPU.pct },
      { key: "dram", title: "DRAM B", num: true },
      { key: "energyPj", title: "energy pJ", num: true },
      { key: "bound", title: "bound" },
      { key: "intensity", title: "MAC/B", num: true },
    ], rows, { detail: function (r) {
      var l = r.layer;
      return "inputs " + l.inputShapes.map(function (s) { return s.join("x"); }).join(", ") + "; bytes L3 " + KPU.fmt(l.bytes.l3) + ", L2 " + KPU.fmt(l.bytes.l2) + ", L1 " + KPU.fmt(l.bytes.l1) +
        "; mapping " + l.mapping.source + ": " + l.mapping.why;
    } });
  };
})();
