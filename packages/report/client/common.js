/* Shared helpers of the report views: data, formatting, charts, sortable and filterable tables. */
(function () {
  "use strict";
  var KPU = (window.KPU = window.KPU || { views: {}, charts: {} });

  KPU.data = function () {
    return JSON.parse(document.getElementById("kpu-data").textContent);
  };

  /** An element with attributes and children (strings become text nodes). */
  KPU.el = function (tag, attrs, children) {
    var e = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      if (k === "text") e.textContent = attrs[k];
      else e.setAttribute(k, attrs[k]);
    });
    (children || []).forEach(function (c) {
      e.appendChild(typeof c === "string" ? document.createTextNode(c) : c);
    });
    return e;
  };

  /** Numbers for people: thousands separators, at most `digits` decimals (default 3). */
  KPU.fmt = function (x, digits) {
    if (typeof x !== "number" || !isFinite(x)) return String(x);
    var d = digits === undefined ? 3 : digits;
    var a = Math.abs(x);
    if (a !== 0 && a < Math.pow(10, -d)) return x.toPrecision(3);
    return x.toLocaleString("en-US", { maximumFractionDigits: d });
  };
  KPU.pct = function (x) {
    return (x * 100).toFixed(1) + "%";
  };
  KPU.bytes = function (b) {
    var units = ["B", "KiB", "MiB", "GiB", "TiB"], i = 0;
    while (b >= 1024 && i < units.length - 1 && b % 1024 === 0) { b /= 1024; i++; }
    if (i === 0 && b >= 1024) return KPU.fmt(b / 1048576, 2) + " MiB";
    return KPU.fmt(b) + " " + units[i];
  };

  /** A titled section appended to the page. */
  KPU.section = function (id, title, note) {
    var s = KPU.el("section", { id: id }, [KPU.el("h2", { text: title })]);
    if (note) s.appendChild(KPU.el("p", { class: "note", text: note }));
    document.getElementById("app").appendChild(s);
    return s;
  };

  KPU.cards = function (parent, items) {
    parent.appendChild(KPU.el("div", { class: "cards" }, items.map(function (it) {
      return KPU.el("div", { class: "card" }, [KPU.el("b", { text: it[1] }), KPU.el("span", { text: it[0] })]);
    })));
  };

  /** Options every chart shares: no animation (pages and screenshots are deterministic), DOM tooltips kept inside. */
  KPU.base = {
    animation: false,
    textStyle: { fontFamily: "system-ui, -apple-system, 'Segoe UI', Roboto, 'DejaVu Sans', sans-serif" },
    tooltip: { className: "kpu-tooltip", confine: true, transitionDuration: 0, enterable: false },
  };

  /** An ECharts chart in a new element of `parent`, resized with the window; kept in KPU.charts[id] for tests. */
  KPU.chart = function (parent, id, option, cls) {
    var div = KPU.el("div", { id: id, class: cls || "chart" });
    parent.appendChild(div);
    var chart = echarts.init(div, null, { renderer: "canvas" });
    var merged = Object.assign({}, KPU.base, option);
    merged.tooltip = Object.assign({}, KPU.base.tooltip, option.tooltip || {});
    chart.setOption(merged);
    KPU.charts[id] = chart;
    return chart;
  };
  window.addEventListener("resize", function () {
    Object.keys(KPU.charts).forEach(function (k) { KPU.charts[k].resize(); });
  });

  /**
   * A sortable, filterable table. columns: [{ key, title, num, format }]; rows: objects. Clicking a header sorts by it
   * (again: the other way); the filter keeps rows with a cell containing the text; `detail(row)` adds a line under a
   * clicked row.
   */
  KPU.table = function (parent, id, columns, rows, options) {
    var opts = options || {};
    var wrap = KPU.el("div", { class: "table-wrap" });
    var filter = KPU.el("input", { type: "search", placeholder: "filter rows", id: id + "-filter", "aria-label": "filter rows" });
    var count = KPU.el("span", { class: "note", id: id + "-count" });
    parent.appendChild(KPU.el("div", { class: "controls" }, [filter, count]));
    var table = KPU.el("table", { class: "kpu", id: id });
    var head = KPU.el("tr", {}, columns.map(function (c) { return KPU.el("th", { "data-key": c.key, scope: "col", text: c.title }); }));
    table.appendChild(KPU.el("thead", {}, [head]));
    var body = KPU.el("tbody");
    table.appendChild(body);
    wrap.appendChild(table);
    parent.appendChild(wrap);
    var sort = { key: null, dir: 1 };
    function text(c, r) {
      var v = r[c.key];
      return c.format ? c.format(v, r) : c.num ? KPU.fmt(v) : String(v);
    }
    function render() {
      var q = filter.value.trim().toLowerCase();
      var shown = rows.filter(function (r) {
        return q === "" || columns.some(function (c) { return text(c, r).toLowerCase().indexOf(q) >= 0; });
      });
      if (sort.key !== null) {
        var col = columns.filter(function (c) { return c.key === sort.key; })[0];
        shown = shown.slice().sort(function (a, b) {
          var x = a[sort.key], y = b[sort.key];
          var d = col.num ? x - y : String(x).localeCompare(String(y));
          return d * sort.dir;
        });
      }
      while (body.firstChild) body.removeChild(body.firstChild);
      shown.forEach(function (r) {
        var tr = KPU.el("tr", {}, columns.map(function (c) { return KPU.el("td", { class: c.num ? "num" : "", text: text(c, r) }); }));
        if (opts.detail) {
          tr.style.cursor = "pointer";
          tr.addEventListener("click", function () {
            var next = tr.nextSibling;
            if (next && next.className === "detail") { body.removeChild(next); return; }
            body.insertBefore(KPU.el("tr", { class: "detail" }, [KPU.el("td", { colspan: String(columns.length), text: opts.detail(r) })]), tr.nextSibling);
          });
        }
        body.appendChild(tr);
      });
      count.textContent = shown.length + " of " + rows.length + " rows";
    }
    head.addEventListener("click", function (e) {
      var key = e.target.getAttribute && e.target.getAttribute("data-key");
      if (!key) return;
      sort.dir = sort.key === key ? -sort.dir : 1;
      sort.key = key;
      Array.prototype.forEach.call(head.children, function (th) {
        if (th.getAttribute("data-key") === key) th.setAttribute("aria-sort", sort.dir > 0 ? "ascending" : "descending");
        else th.removeAttribute("aria-sort");
      });
      render();
    });
    filter.addEventListener("input", render);
    render();
    return table;
  };

  /** Readable text on a colour: dark on light cells, white on dark ones (WCAG relative luminance). */
  KPU.textOn = function (rgb) {
    var m = /(\d+)\D+(\d+)\D+(\d+)/.exec(rgb) || /^#?([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(rgb);
    if (!m) return "#000";
    var c = [m[1], m[2], m[3]].map(function (v) {
      var x = (rgb.charAt(0) === "#" ? parseInt(v, 16) : Number(v)) / 255;
      return x <= 0.03928 ? x / 12.92 : Math.pow((x + 0.055) / 1.055, 2.4);
    });
    var l = 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2];
    return l > 0.179 ? "#000" : "#fff";
  };

  KPU.start = function () {
    var doc = KPU.data();
    KPU.views[doc.kind](doc.data, doc);
    document.body.setAttribute("data-ready", "true");
  };
})();
