// Statistics page charts (ECharts from the npm bundle), drawn from the page's JSON; a click on
// an area's bar drills down to that area with the same period.
(function () {
  "use strict";
  var holder = document.getElementById("stats-charts");
  if (!holder || typeof echarts === "undefined") return;
  var data = JSON.parse(holder.textContent);
  var zh = /^zh/i.test(document.documentElement.lang);
  var charts = [];
  function make(id) {
    var el = document.getElementById(id);
    if (!el) return null;
    var chart = echarts.init(el, null, { renderer: "canvas", locale: zh ? "ZH" : "EN" });
    charts.push(chart);
    return chart;
  }
  var labels = data.labels;
  var areas = make("chart-areas");
  if (areas) {
    areas.setOption({
      animation: false,
      grid: { left: 44, right: 44, top: 36, bottom: 60 },
      tooltip: { trigger: "axis" },
      legend: { top: 0, data: [labels.reported, labels.due, labels.closure] },
      xAxis: { type: "category", data: data.areas.names, axisLabel: { rotate: data.areas.names.length > 6 ? 40 : 0, interval: 0 } },
      yAxis: [{ type: "value", minInterval: 1 }, { type: "value", min: 0, max: 100, axisLabel: { formatter: "{value}%" } }],
      series: [
        { name: labels.reported, type: "bar", data: data.areas.reported, barMaxWidth: 28 },
        { name: labels.due, type: "bar", data: data.areas.due, barMaxWidth: 28 },
        { name: labels.closure, type: "line", yAxisIndex: 1, data: data.areas.closure, connectNulls: false }
      ]
    });
    areas.on("click", function (params) {
      var code = data.areas.codes[params.dataIndex];
      if (!code) return;
      var form = document.getElementById("stats-form");
      var query = new URLSearchParams(new FormData(form));
      query.set("grid", code);
      window.location.search = query.toString();
    });
  }
  var channel = make("chart-channel");
  if (channel) {
    channel.setOption({
      animation: false,
      tooltip: { trigger: "item", formatter: "{b}: {c} ({d}%)" },
      series: [{ type: "pie", radius: ["35%", "65%"], data: data.channel, label: { formatter: "{b}\n{c}" } }]
    });
  }
  var klass = make("chart-class");
  if (klass) {
    klass.setOption({
      animation: false,
      grid: { left: 96, right: 16, top: 36, bottom: 24 },
      tooltip: { trigger: "axis" },
      legend: { top: 0, data: [labels.reported, labels.due] },
      xAxis: { type: "value", minInterval: 1 },
      yAxis: { type: "category", data: data["class"].names, inverse: true },
      series: [
        { name: labels.reported, type: "bar", data: data["class"].reported, barMaxWidth: 18 },
        { name: labels.due, type: "bar", data: data["class"].due, barMaxWidth: 18 }
      ]
    });
  }
  var field = data.field;
  function drill(chart, codes) {
    chart.on("click", function (params) {
      var code = codes[params.dataIndex];
      if (!code) return;
      var query = new URLSearchParams(new FormData(document.getElementById("stats-form")));
      query.set("grid", code);
      var unit = new URLSearchParams(window.location.search).get("trend");
      if (unit) query.set("trend", unit);
      window.location.href = "?" + query.toString() + "#field-work";
    });
  }
  var fieldSeries = ["patrols", "diaries", "hazards_found", "visits"];
  var fieldAreas = field && make("chart-field-areas");
  if (fieldAreas) {
    fieldAreas.setOption({
      animation: false,
      grid: { left: 44, right: 16, top: 56, bottom: 60 },
      tooltip: { trigger: "axis" },
      legend: { top: 0, data: fieldSeries.map(function (n) { return field.names[n]; }) },
      xAxis: { type: "category", data: field.areas.names, axisLabel: { rotate: field.areas.names.length > 6 ? 40 : 0, interval: 0 } },
      yAxis: { type: "value", minInterval: 1 },
      series: fieldSeries.map(function (n) {
        return { name: field.names[n], type: "bar", data: field.areas[n], barMaxWidth: 22 };
      })
    });
    drill(fieldAreas, field.areas.codes);
  }
  // The same order as the area chart's, so a fact keeps its colour; rectified comes last.
  var trendSeries = ["patrols", "diaries", "hazards_found", "visits", "hazards_rectified"];
  var trend = field && make("chart-field-trend");
  if (trend) {
    trend.setOption({
      animation: false,
      grid: { left: 44, right: 16, top: 56, bottom: 40 },
      tooltip: { trigger: "axis" },
      legend: { top: 0, data: trendSeries.map(function (n) { return field.names[n]; }) },
      xAxis: { type: "category", data: field.trend.labels, boundaryGap: false },
      yAxis: { type: "value", minInterval: 1 },
      series: trendSeries.map(function (n) {
        return { name: field.names[n], type: "line", data: field.trend[n], showSymbol: field.trend.labels.length <= 31 };
      })
    });
  }
  var states = field && make("chart-hazard-state");
  if (states) {
    // Names in a legend and counts inside the ring: long state names (in English too) are never
    // cut at the card's edge, on a phone neither.
    states.setOption({
      animation: false,
      tooltip: { trigger: "item", formatter: "{b}: {c} ({d}%)" },
      legend: { bottom: 0 },
      series: [{
        type: "pie",
        radius: ["32%", "64%"],
        center: ["50%", "45%"],
        data: field.hazard_state,
        label: { position: "inside", formatter: "{c}", color: "#fff", fontWeight: "bold" }
      }]
    });
  }
  document.documentElement.dataset.statsCharts = String(charts.length);
  window.addEventListener("resize", function () { charts.forEach(function (c) { c.resize(); }); });
  window.addEventListener("beforeprint", function () { charts.forEach(function (c) { c.resize(); }); });
})();
