/*
 * The Gantt chart of a simulation: one lane per engine, a bar per task, stalls in a thin band below. Zoom with the
 * wheel, the slider or the buttons, pan by dragging, search for a tile by its label. Bars are drawn without strokes;
 * where tasks are narrower than a pixel, consecutive ones (gaps under a pixel) are drawn as one aggregate bar whose
 * opacity is the busy fraction, and the tooltip says how many tasks it holds.
 */
(function () {
  "use strict";
  var KPU = window.KPU;
  var TASK = 0, AGG = 1, STALL = 2, HIGHLIGHT = 3, STALL_AGG = 4, MISSING = 5;
  var COLORS = { A: "#4e79a7", B: "#f28e2b", C: "#59a14f", writeback: "#2e6b28", compute: "#8e6aa8", data: "#e15759", credit: "#d4a72c" };
  var GRID = { left: 170, right: 44, top: 10, bottom: 60 };

  function colorOf(tl, i) {
    var k = tl.kind[i];
    if (k === "compute") return COLORS.compute;
    if (k === "writeback") return COLORS.writeback;
    return COLORS[tl.label[i].charAt(0)] || "#888";
  }

  /** Per lane, the indexes of its tasks (or stalls) in start order; ends are in order too (a lane does one thing at a time). */
  function byLane(n, laneArr, lanes) {
    var out = lanes.map(function () { return []; });
    for (var i = 0; i < n; i++) out[laneArr[i]].push(i);
    return out;
  }

  /** The first index in `ids` whose end is at or after t (ends ascend). */
  function firstEnding(ids, ends, t) {
    var lo = 0, hi = ids.length;
    while (lo < hi) { var mid = (lo + hi) >> 1; if (ends[ids[mid]] < t) lo = mid + 1; else hi = mid; }
    return lo;
  }

  /**
   * The items to draw for [t0, t1] at nsPerPx: bars at least a pixel wide as they are; narrower ones are summed per
   * pixel column (busy time / column time), and runs of adjacent columns with the same busy twentieth become one aggregate
   * item [lane, start, end, aggregate, tasks, busy fraction, a task in it (for its colour)].
   */
  function visibleItems(ids, starts, ends, lane, t0, t1, nsPerPx, single, aggregate, cover, count, last) {
    var out = [], cols = cover.length;
    cover.fill(0);
    count.fill(0);
    for (var k = firstEnding(ids, ends, t0); k < ids.length; k++) {
      var i = ids[k], s = starts[i], e = ends[i];
      if (s > t1) break;
      if (e - s >= nsPerPx) { out.push([lane, s, e, single, i, 1, i]); continue; }
      var a = Math.max(0, Math.floor((s - t0) / nsPerPx)), b = Math.min(cols - 1, Math.floor((e - t0) / nsPerPx));
      for (var c = a; c <= b; c++) {
        var lo = Math.max(s, t0 + c * nsPerPx), hi = Math.min(e, t0 + (c + 1) * nsPerPx);
        if (hi > lo) cover[c] += hi - lo;
        count[c]++;
        last[c] = i;
      }
    }
    var run = null;
    for (var col = 0; col <= cols; col++) {
      var q = col < cols && count[col] > 0 ? Math.max(1, Math.min(20, Math.round((cover[col] / nsPerPx) * 20))) : 0;
      if (run !== null && q === run.q && col < cols) { run.end = col + 1; run.n += count[col]; continue; }
      if (run !== null) out.push([lane, t0 + run.start * nsPerPx, t0 + run.end * nsPerPx, aggregate, run.n, run.q / 20, run.task]);
      run = q > 0 ? { start: col, end: col + 1, q: q, n: count[col], task: last[col] } : null;
    }
    return out;
  }

  KPU.ganttView = function (parent, tl, totalNs) {
    var endNs = Math.max(totalNs, tl.spanNs, 1e-9);
    var truncated = tl.embeddedTasks < tl.totalTasks;
    if (truncated) {
      parent.appendChild(KPU.el("p", { class: "warn", id: "gantt-truncated", text: "This page holds the first " + KPU.fmt(tl.embeddedTasks) + " of " + KPU.fmt(tl.totalTasks) + " tasks (by start time): the timeline is complete up to " + KPU.fmt(tl.completeUntilNs) + " ns of " + KPU.fmt(endNs) + " ns; the grey area is not in this page." }));
    }
    var search = KPU.el("input", { type: "search", id: "tile-search", placeholder: "find a tile, e.g. " + (tl.label[0] || "A[i=0,k=0]"), "aria-label": "find a tile" });
    var find = KPU.el("button", { id: "tile-find", text: "find" });
    var zin = KPU.el("button", { id: "zoom-in", text: "+", title: "zoom in" });
    var zout = KPU.el("button", { id: "zoom-out", text: "\u2212", title: "zoom out" });
    var reset = KPU.el("button", { id: "zoom-reset", text: "reset" });
    var range = KPU.el("span", { id: "gantt-range", class: "note" });
    var status = KPU.el("span", { id: "tile-status", class: "note" });
    parent.appendChild(KPU.el("div", { class: "controls" }, [zin, zout, reset, search, find, status]));
    parent.appendChild(KPU.el("div", { class: "controls" }, [range]));
    var tasksByLane = byLane(tl.lane.length, tl.lane, tl.lanes);
    var stallsByLane = { data: [], credit: [] };
    ["data", "credit"].forEach(function (cause) {
      stallsByLane[cause] = tl.lanes.map(function () { return []; });
      for (var i = 0; i < tl.stallLane.length; i++) if (tl.stallCause[i] === cause) stallsByLane[cause][tl.stallLane[i]].push(i);
    });
    var highlight = -1;
    var view = [0, endNs];

    function items() {
      var plotW = Math.max(1, Math.round(chart.getWidth() - GRID.left - GRID.right));
      var nsPerPx = (view[1] - view[0]) / plotW;
      var cover = new Float64Array(plotW), count = new Int32Array(plotW), last = new Int32Array(plotW);
      var out = [];
      tl.lanes.forEach(function (_, lane) {
        out = out.concat(visibleItems(tasksByLane[lane], tl.startNs, tl.endNs, lane, view[0], view[1], nsPerPx, TASK, AGG, cover, count, last));
        ["data", "credit"].forEach(function (cause) {
          out = out.concat(visibleItems(stallsByLane[cause][lane], tl.stallStartNs, tl.stallEndNs, lane, view[0], view[1], nsPerPx, STALL, STALL_AGG, cover, count, last));
        });
        if (truncated) out.push([lane, tl.completeUntilNs, endNs, MISSING, 0, 0, 0]);
      });
      if (highlight >= 0) out.push([tl.lane[highlight], tl.startNs[highlight], tl.endNs[highlight], HIGHLIGHT, highlight, 1, highlight]);
      return out;
    }

    function renderItem(params, api) {
      var lane = api.value(0), type = api.value(3), ref = api.value(4);
      var a = api.coord([api.value(1), lane]), b = api.coord([api.value(2), lane]);
      var band = api.size([0, 1])[1];
      var top = a[1] - band * 0.36, h = band * 0.5;
      if (type === STALL || type === STALL_AGG) { top = a[1] + band * 0.2; h = Math.max(3, band * 0.12); }
      if (type === MISSING) { top = a[1] - band / 2; h = band; }
      var rect = echarts.graphic.clipRectByRect({ x: a[0], y: top, width: Math.max(1, b[0] - a[0]), height: h }, { x: params.coordSys.x, y: params.coordSys.y, width: params.coordSys.width, height: params.coordSys.height });
      if (!rect) return null;
      var style;
      if (type === TASK) style = { fill: colorOf(tl, ref) };
      else if (type === AGG) style = { fill: colorOf(tl, api.value(6)), opacity: 0.25 + 0.75 * api.value(5) };
      else if (type === STALL) style = { fill: COLORS[tl.stallCause[ref]] };
      else if (type === STALL_AGG) style = { fill: COLORS[tl.stallCause[api.value(6)]], opacity: 0.25 + 0.75 * api.value(5) };
      else if (type === MISSING) style = { fill: "#d0d7de", opacity: 0.5 };
      else style = { fill: "none", stroke: "#000", lineWidth: 2 };
      return { type: "rect", shape: rect, style: style };
    }

    function tip(p) {
      var v = p.value, type = v[3], i = v[4];
      var lane = tl.lanes[v[0]];
      if (type === TASK || type === HIGHLIGHT) {
        return tl.label[i] + " on " + lane + "\n" + tl.kind[i] + (tl.bytes[i] > 0 ? " " + KPU.fmt(tl.bytes[i]) + " B" : "") + "\n" + KPU.fmt(tl.startNs[i]) + " \u2013 " + KPU.fmt(tl.endNs[i]) + " ns (" + KPU.fmt(tl.endNs[i] - tl.startNs[i]) + " ns)";
      }
      if (type === AGG) return KPU.fmt(i) + " tasks on " + lane + " (each narrower than a pixel)\n" + KPU.fmt(v[1]) + " \u2013 " + KPU.fmt(v[2]) + " ns, busy about " + KPU.pct(v[5]) + "\nzoom in to see single tasks";
      if (type === STALL) return "stall on " + lane + ": waiting for " + tl.stallCause[i] + "\n" + KPU.fmt(v[1]) + " \u2013 " + KPU.fmt(v[2]) + " ns (" + KPU.fmt(v[2] - v[1]) + " ns)";
      if (type === STALL_AGG) return KPU.fmt(i) + " stalls on " + lane + " waiting for " + tl.stallCause[v[6]] + ", " + KPU.fmt(v[1]) + " \u2013 " + KPU.fmt(v[2]) + " ns, about " + KPU.pct(v[5]) + " of the time\nzoom in to see each";
      return "not in this page: tasks after " + KPU.fmt(tl.completeUntilNs) + " ns were left out";
    }

    var chart = KPU.chart(parent, "gantt-chart", {
      grid: GRID,
      tooltip: { trigger: "item", formatter: tip },
      xAxis: { type: "value", min: 0, max: endNs, name: "time (ns)", nameLocation: "middle", nameGap: 24, axisLabel: { formatter: function (v) { return KPU.fmt(v); } } },
      yAxis: { type: "category", data: tl.lanes, inverse: true, axisTick: { show: false } },
      dataZoom: [
        { type: "slider", id: "zoom-slider", xAxisIndex: 0, filterMode: "none", height: 16, bottom: 4, labelFormatter: function (v) { return KPU.fmt(v) + " ns"; } },
        { type: "inside", id: "zoom-inside", xAxisIndex: 0, filterMode: "none" },
      ],
      series: [{ id: "gantt", type: "custom", renderItem: renderItem, encode: { x: [1, 2], y: 0 }, data: [], progressive: 0 }],
    }, "chart gantt");
    var legend = [["A tile", COLORS.A], ["B tile", COLORS.B], ["C tile", COLORS.C], ["write-back", COLORS.writeback], ["compute", COLORS.compute], ["stall: data", COLORS.data], ["stall: credit", COLORS.credit]];
    parent.appendChild(KPU.el("div", { class: "controls legend", id: "gantt-legend" }, legend.map(function (l) {
      var swatch = KPU.el("i", { class: "swatch" });
      swatch.style.background = l[1];
      return KPU.el("span", {}, [swatch, l[0]]);
    })));
    chart.getDom().style.height = Math.max(220, 40 + tl.lanes.length * 46 + GRID.bottom) + "px";
    chart.resize();

    var zoomPct = [0, 100];
    function redraw(e) {
      // the zoom event carries the new range (getOption would copy every item); start/end are percentages
      var z = e && (e.batch ? e.batch[0] : e);
      if (z && typeof z.start === "number" && typeof z.end === "number") zoomPct = [z.start, z.end];
      view = [zoomPct[0] / 100 * endNs, zoomPct[1] / 100 * endNs];
      chart.setOption({ series: [{ id: "gantt", data: items() }] });
      range.textContent = "showing " + KPU.fmt(view[0]) + " \u2013 " + KPU.fmt(view[1]) + " ns of " + KPU.fmt(endNs) + " ns (" + KPU.fmt(tl.totalTasks) + " tasks" + (truncated ? ", " + KPU.fmt(tl.embeddedTasks) + " in this page" : "") + ")";
    }
    function zoomTo(a, b) {
      chart.dispatchAction({ type: "dataZoom", dataZoomIndex: 0, start: Math.max(0, a / endNs * 100), end: Math.min(100, b / endNs * 100) });
    }
    function zoomBy(f) {
      var c = (view[0] + view[1]) / 2, half = Math.min(endNs, Math.max(endNs * 1e-7, (view[1] - view[0]) * f)) / 2;
      var a = Math.max(0, Math.min(endNs - 2 * half, c - half));
      zoomTo(a, a + 2 * half);
    }
    chart.on("datazoom", redraw);
    window.addEventListener("resize", function () { redraw(); });
    zin.addEventListener("click", function () { zoomBy(0.5); });
    zout.addEventListener("click", function () { zoomBy(2); });
    reset.addEventListener("click", function () { zoomTo(0, endNs); });

    var matches = [], at = -1, lastQuery = null;
    function findTile() {
      var q = search.value.trim();
      if (q === "") return;
      if (q !== lastQuery) {
        var exact = [], part = [];
        for (var i = 0; i < tl.label.length; i++) { if (tl.label[i] === q) exact.push(i); else if (tl.label[i].indexOf(q) >= 0) part.push(i); }
        matches = exact.length > 0 ? exact : part;
        at = -1;
        lastQuery = q;
      }
      if (matches.length === 0) { status.textContent = "no task matches \u201c" + q + "\u201d"; highlight = -1; redraw(); return; }
      at = (at + 1) % matches.length;
      highlight = matches[at];
      var s = tl.startNs[highlight], e = tl.endNs[highlight], pad = Math.max((e - s) * 20, endNs * 1e-6);
      status.textContent = "match " + (at + 1) + " of " + matches.length + ": " + tl.label[highlight] + " on " + tl.lanes[tl.lane[highlight]] + " at " + KPU.fmt(s) + " ns";
      zoomTo(Math.max(0, s - pad), Math.min(endNs, e + pad));
      redraw();
    }
    find.addEventListener("click", findTile);
    search.addEventListener("keydown", function (e) { if (e.key === "Enter") findTile(); });
    redraw();

    KPU.gantt = {
      chart: chart,
      range: function () { return view.slice(); },
      /** The viewport pixel at the middle of task i's bar (for tests and scripted hovers). */
      pixelOf: function (i) {
        var p = chart.convertToPixel({ xAxisIndex: 0, yAxisIndex: 0 }, [(tl.startNs[i] + tl.endNs[i]) / 2, tl.lane[i]]);
        var box = chart.getDom().getBoundingClientRect();
        var band = chart.convertToPixel({ yAxisIndex: 0 }, 1) - chart.convertToPixel({ yAxisIndex: 0 }, 0);
        return [box.left + p[0], box.top + p[1] - Math.abs(band) * 0.11];
      },
      zoomTo: zoomTo,
    };
    return chart;
  };
})();
