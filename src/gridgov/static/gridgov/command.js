/* The command centre: grid map with open-case colours and case markers, a grid's card on click,
   ECharts figures, all refreshed from the filters without reloading the page. */
(function () {
  "use strict";

  var root = document.getElementById("command-centre");
  if (!root) return;
  var cfg = JSON.parse(document.getElementById("command-config").textContent);
  var form = document.getElementById("filters");
  var mapEl = document.getElementById("cc-map");
  var status = document.getElementById("cc-updated");
  var REFRESH_MS = 60000;

  var STATE_GROUP = {
    reported: "waiting", accepted: "waiting", recorded: "waiting", registered: "waiting", returned: "waiting",
    dispatched: "handling", handling: "handling",
    fed_back: "checking", verified: "checking",
    closed: "closed", called_back: "closed",
    rejected: "invalid", merged: "invalid"
  };
  var MARKER_COLOURS = {
    waiting: "#e67e22", handling: "#2f6fd0", checking: "#7d4cc2", closed: "#27ae60", invalid: "#8a8f98", overdue: "#d0021b"
  };

  // Where cases were closed (seed 004: village, town, district, handed to the hotline).
  var LEVEL_COLOURS = { village: "#27ae60", town: "#1d4f91", county: "#7d4cc2", city: "#34495e", hotline: "#e67e22" };

  var map = GridgovMap.createMap(mapEl, cfg.map);
  var gridLayer = null;
  var markerLayer = L.featureGroup().addTo(map);
  var markerRenderer = L.canvas({ padding: 0.3 });
  var charts = {};
  var lastFigures = null;
  var inFlight = null;
  // When the map was drawn and the first figures applied (read by bench/bench_command_centre.py).
  var timings = window.gridgovTimings = {};

  function query() {
    var params = new URLSearchParams(new FormData(form));
    return params.toString();
  }

  function loadCard(code) {
    var target = document.getElementById("grid-card");
    var url = cfg.urls.card.replace("__CODE__", encodeURIComponent(code));
    if (window.htmx) {
      htmx.ajax("GET", url, { target: "#grid-card", swap: "innerHTML" });
    } else {
      fetch(url, { credentials: "same-origin" }).then(function (r) { return r.text(); })
        .then(function (html) { target.innerHTML = html; });
    }
  }

  GridgovMap.fetchGrids(cfg.urls.grids).then(function (data) {
    gridLayer = new GridgovMap.GridLayer(map, data, {
      onClick: function (g) { loadCard(g.code); }
    });
    gridLayer.onThresholds = showThresholds;
    showThresholds(gridLayer.thresholds);
    var b = gridLayer.bounds();
    if (b.isValid()) map.fitBounds(b, { padding: [8, 8], animate: false });
    else map.setView([34.8, 113.3], 12);
    GridgovMap.levelSwitch(document.getElementById("cc-levels"), gridLayer, cfg.text.level, cfg.text.autoLevel);
    gridFinder(data);
    mapEl.setAttribute("data-ready", "1");
    timings.map = performance.now();
    if (lastFigures) {
      applyMap(lastFigures);
      figuresShown();
    }
  }).catch(function (err) {
    mapEl.setAttribute("data-error", String(err));
    mapEl.innerHTML = '<p class="placeholder">' + GridgovMap.escapeHtml(cfg.text.mapError) + "</p>";
  });

  function showThresholds(t) {
    var el = document.getElementById("cc-legend-counts");
    if (!el || !t) return;
    var html = "";
    for (var i = 0; i < GridgovMap.COUNT_COLOURS.length; i++) {
      var from = t[i], to = i + 1 < t.length ? t[i + 1] - 1 : null;
      var text = to == null ? "≥" + from : (to > from ? from + "–" + to : String(from));
      html += '<span><i style="background:' + GridgovMap.COUNT_COLOURS[i][1] + '"></i>' + text + "</span>";
    }
    el.innerHTML = html;
  }

  /* Find a grid by name or code (keyboard users, and districts of thousands of grids): zoom
     to it and open its card. A full name, a code or a suggestion goes straight there; part
     of a name or the start of a code lists the grids it matches; no match says so. */
  var FIND_LIMIT = 12;
  function gridFinder(data) {
    var input = document.getElementById("cc-find");
    var list = document.getElementById("cc-find-list");
    var result = document.getElementById("cc-find-result");
    if (!input || !list) return;
    var byLabel = {};
    var frag = document.createDocumentFragment();
    data.grids.forEach(function (g) {
      var label = g.name + " " + g.code;
      byLabel[label] = g;
      var option = document.createElement("option");
      option.value = label;
      frag.appendChild(option);
    });
    list.appendChild(frag);

    function norm(s) { return String(s || "").replace(/\s+/g, "").toLowerCase(); }
    function coarseFirst(a, b) { return a.level - b.level || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0); }

    /* {exact: [...], partial: [...]} for the text typed. */
    function matches(raw) {
      var q = norm(raw);
      if (!q) return { exact: [], partial: [] };
      if (byLabel[raw.trim()]) return { exact: [byLabel[raw.trim()]], partial: [] };
      var exact = [], partial = [];
      data.grids.forEach(function (g) {
        var name = norm(g.name), code = norm(g.code);
        if (code === q || name === q || norm(g.name + g.code) === q) exact.push(g);
        else if (name.indexOf(q) >= 0 || code.indexOf(q) === 0) partial.push(g);
      });
      return { exact: exact.sort(coarseFirst), partial: partial.sort(coarseFirst) };
    }

    function say(html) {
      if (!result) return;
      result.innerHTML = html;
      result.hidden = !html;
    }

    function open(g) {
      say("");
      var layer = gridLayer.layers[g.index];
      if (layer) map.fitBounds(layer.getBounds(), { padding: [20, 20], animate: false });
      if (gridLayer.auto) gridLayer.pickLevel();
      loadCard(g.code);
    }

    function offer(grids) {
      var esc = GridgovMap.escapeHtml;
      var shown = grids.slice(0, FIND_LIMIT);
      var html = '<p class="small">' + esc((cfg.text.findMany || "").replace("%(n)s", grids.length)) + "</p><ul>";
      shown.forEach(function (g) {
        html += '<li><button type="button" class="link-button" data-grid="' + esc(g.code) + '">' + esc(g.name) +
          ' <span class="muted small">' + esc(data.levels[g.level] || "") + " · " + esc(g.code) + "</span></button></li>";
      });
      html += "</ul>";
      if (grids.length > shown.length) {
        html += '<p class="small muted">' + esc((cfg.text.findMore || "").replace("%(n)s", grids.length - shown.length)) + "</p>";
      }
      say(html);
    }

    /* Enter: go, offer or say there is none. A change (a suggestion picked) goes only to an
       exact match, so leaving the box half-typed does not open a list. */
    function go(ask) {
      var raw = input.value;
      if (!norm(raw)) { say(""); return; }
      var found = matches(raw);
      if (found.exact.length === 1) { open(found.exact[0]); return; }
      if (!ask) return;
      var all = found.exact.concat(found.partial);
      if (all.length === 1) open(all[0]);
      else if (all.length) offer(all);
      else say('<p class="small" data-find-none>' + GridgovMap.escapeHtml((cfg.text.findNone || "").replace("%(q)s", raw.trim())) + "</p>");
    }

    input.addEventListener("change", function () { go(false); });
    input.addEventListener("keydown", function (ev) {
      if (ev.key === "Enter") { ev.preventDefault(); go(true); }
      else if (ev.key === "Escape") say("");
    });
    input.addEventListener("input", function () { if (!norm(input.value)) say(""); });
    if (result) {
      result.addEventListener("click", function (ev) {
        var button = ev.target.closest("[data-grid]");
        var g = button ? gridLayer.byCode[button.getAttribute("data-grid")] : null;
        if (!g) return;
        input.value = g.name + " " + g.code;
        open(g);
      });
    }
  }

  /* A case marker's popup, built when it is opened (thousands of markers, few opened). */
  function markerPopup(m) {
    var label = cfg.states[m[3]] || m[3];
    return '<strong>' + GridgovMap.escapeHtml(m[5]) + "</strong><br>" +
      GridgovMap.escapeHtml(label) + (m[4] ? " · <span style=\"color:#d0021b\">" + GridgovMap.escapeHtml(cfg.text.overdue) + "</span>" : "") +
      '<br><a href="' + cfg.urls.casePage.replace("/0/", "/" + encodeURIComponent(m[0]) + "/") + '">' + GridgovMap.escapeHtml(cfg.text.open) + "</a>";
  }
  markerLayer.on("click", function (ev) {
    var m = ev.layer && ev.layer.gridgovMarker;
    if (m) L.popup().setLatLng(ev.layer.getLatLng()).setContent(markerPopup(m)).openOn(map);
  });

  function applyMap(fig) {
    if (!gridLayer) return;
    gridLayer.setCounts(fig.grids, fig.warnings || {});
    markerLayer.clearLayers();
    fig.markers.forEach(function (m) {
      var group = m[4] ? "overdue" : (STATE_GROUP[m[3]] || "waiting");
      var marker = L.circleMarker([m[2], m[1]], {
        renderer: markerRenderer,
        radius: m[4] ? 6 : 5,
        color: "#ffffff",
        weight: 1.5,
        fillColor: MARKER_COLOURS[group],
        fillOpacity: 0.95
      });
      marker.gridgovMarker = m;
      markerLayer.addLayer(marker);
    });
    mapEl.setAttribute("data-markers", String(fig.markers.length));
  }

  /* The first figures are on the map and the charts (read by bench/bench_command_centre.py). */
  function figuresShown() {
    if (!gridLayer || !lastFigures) return;
    if (!timings.figures) timings.figures = performance.now();
    // Marked after the next frame, when Leaflet's canvas has drawn the markers.
    requestAnimationFrame(function () { root.setAttribute("data-figures", "1"); });
  }

  function chart(id) {
    if (!charts[id]) {
      var el = document.getElementById(id);
      // ECharts words its own aria descriptions and tooltips: in the page's language.
      charts[id] = echarts.init(el, null, { renderer: "canvas", locale: /^zh/i.test(document.documentElement.lang) ? "ZH" : "EN" });
    }
    return charts[id];
  }

  function pct(v) { return v == null ? null : Math.round(v * 1000) / 10; }

  /* ECharts renders tooltips as HTML, and the names in them (grid names, matter classes) are
     data: every tooltip is built here from escaped text, never from ECharts' templates. */
  var esc = GridgovMap.escapeHtml;
  function tipRow(p, text) {
    return '<span style="display:inline-block;width:9px;height:9px;border-radius:50%;margin-right:5px;background:' +
      esc(typeof p.color === "string" ? p.color : "#8a8f98") + '"></span>' + esc(p.seriesName) + ": " + esc(text);
  }
  function axisTip(unit) {
    return function (params) {
      var list = Array.isArray(params) ? params : [params];
      if (!list.length) return "";
      return "<strong>" + esc(list[0].name) + "</strong><br>" + list.map(function (p) {
        var v = Array.isArray(p.value) ? p.value[1] : (p.value && typeof p.value === "object" ? p.value.value : p.value);
        return tipRow(p, v == null ? "—" : v + (unit || ""));
      }).join("<br>");
    };
  }
  function itemTip(params) {
    var v = params.value && typeof params.value === "object" ? params.value.value : params.value;
    return "<strong>" + esc(params.name) + "</strong><br>" + tipRow(params, v == null ? "—" : v) +
      (params.percent != null ? " (" + esc(params.percent) + "%)" : "");
  }

  function applyCharts(fig) {
    var t = cfg.text;
    var base = { aria: { enabled: true }, animation: false, textStyle: { fontFamily: "inherit" } };
    chart("chart-per-day").setOption(Object.assign({}, base, {
      tooltip: { trigger: "axis", formatter: axisTip("") },
      legend: { data: [t.reported, t.closed], top: 0 },
      grid: { left: 36, right: 12, top: 30, bottom: 28 },
      xAxis: { type: "category", data: fig.per_day.map(function (d) { return d[0].slice(5); }) },
      yAxis: { type: "value", minInterval: 1 },
      series: [
        { name: t.reported, type: "line", color: "#1d4f91", data: fig.per_day.map(function (d) { return d[1]; }) },
        { name: t.closed, type: "line", color: "#27ae60", data: fig.per_day.map(function (d) { return d[2]; }) }
      ]
    }), true);
    chart("chart-by-class").setOption(Object.assign({}, base, {
      tooltip: { trigger: "item", formatter: itemTip },
      grid: { left: 110, right: 24, top: 10, bottom: 24 },
      xAxis: { type: "value", minInterval: 1 },
      yAxis: { type: "category", inverse: true, data: fig.by_class.map(function (c) { return c[0]; }),
               axisLabel: { width: 100, overflow: "truncate" } },
      series: [{ name: t.cases, type: "bar", barMaxWidth: 22, data: fig.by_class.map(function (c) { return c[1]; }), itemStyle: { color: "#1d4f91" } }]
    }), true);
    chart("chart-by-state").setOption(Object.assign({}, base, {
      tooltip: { trigger: "item", formatter: itemTip },
      grid: { left: 36, right: 12, top: 10, bottom: 48 },
      xAxis: { type: "category", data: fig.by_state.map(function (s) { return s[1]; }), axisLabel: { interval: 0, rotate: 30 } },
      yAxis: { type: "value", minInterval: 1 },
      series: [{
        name: t.cases, type: "bar", barMaxWidth: 36,
        data: fig.by_state.map(function (s) {
          return { value: s[2], itemStyle: { color: MARKER_COLOURS[STATE_GROUP[s[0]] || "waiting"] } };
        })
      }]
    }), true);
    chart("chart-units").setOption(Object.assign({}, base, {
      tooltip: { trigger: "axis", formatter: axisTip("%") },
      legend: { data: [t.closureRate, t.onTimeRate], top: 0 },
      grid: { left: 40, right: 12, top: 30, bottom: 48 },
      xAxis: { type: "category", data: fig.units.map(function (u) { return u[0]; }), axisLabel: { interval: 0, rotate: fig.units.length > 6 ? 35 : 0 } },
      yAxis: { type: "value", max: 100, axisLabel: { formatter: "{value}%" } },
      series: [
        { name: t.closureRate, type: "bar", barMaxWidth: 28, data: fig.units.map(function (u) { return pct(u[3]); }), itemStyle: { color: "#1d4f91" } },
        { name: t.onTimeRate, type: "bar", barMaxWidth: 28, data: fig.units.map(function (u) { return pct(u[4]); }), itemStyle: { color: "#27ae60" } }
      ]
    }), true);
    chart("chart-closed-where").setOption(Object.assign({}, base, {
      tooltip: { trigger: "item", formatter: itemTip },
      legend: { bottom: 0 },
      series: [{
        name: t.closedWhere, type: "pie", radius: ["35%", "65%"], center: ["50%", "45%"],
        label: { formatter: "{b}\n{c}" },
        data: fig.closed_where.map(function (c) {
          return { name: c[1], value: c[2], itemStyle: { color: LEVEL_COLOURS[c[0]] || "#8a8f98" } };
        })
      }]
    }), true);
    document.querySelectorAll("[data-chart-empty]").forEach(function (el) {
      var key = el.getAttribute("data-chart-empty");
      var empty = !fig[key] || fig[key].length === 0 ||
        (key === "per_day" && fig.per_day.every(function (d) { return !d[1] && !d[2]; }));
      el.hidden = !empty;
      var chartEl = el.parentNode.querySelector(".chart");
      if (chartEl) chartEl.style.visibility = empty ? "hidden" : "visible";
    });
  }

  function refresh() {
    if (inFlight) inFlight.abort();
    var controller = new AbortController();
    inFlight = controller;
    return fetch(cfg.urls.figures + "?" + query(), {
      credentials: "same-origin",
      headers: { Accept: "application/json" },
      signal: controller.signal
    }).then(function (r) {
      if (!r.ok) throw new Error("figures " + r.status);
      return r.json();
    }).then(function (fig) {
      lastFigures = fig;
      applyMap(fig);
      applyCharts(fig);
      if (status) status.textContent = cfg.text.updated + " " + fig.generated_at;
      figuresShown();
    }).catch(function (err) {
      if (err && err.name === "AbortError") return;
      if (status) status.textContent = cfg.text.refreshFailed;
    }).finally(function () {
      if (inFlight === controller) inFlight = null;
    });
  }

  form.addEventListener("change", function () {
    var q = query();
    history.replaceState(null, "", window.location.pathname + (q ? "?" + q : ""));
    refresh();
  });
  form.addEventListener("submit", function (ev) {
    ev.preventDefault();
    refresh();
    if (window.htmx) htmx.trigger(form, "change");
  });
  // The figures are fetched beside the grid outlines, not after them: both arrive in parallel.
  refresh();
  setInterval(function () { if (!document.hidden) refresh(); }, REFRESH_MS);
  window.addEventListener("resize", function () {
    Object.keys(charts).forEach(function (k) { charts[k].resize(); });
  });
  window.gridgovCommand = { refresh: refresh, map: map, layer: function () { return gridLayer; } };
})();
