// Discovery rate by back-tracing round (倒查期数), drawn with ECharts from the page's JSON.
(function () {
  "use strict";
  var holder = document.getElementById("trend-chart");
  var data = document.getElementById("trend-data");
  if (!holder || !data || typeof echarts === "undefined") return;
  var rounds = JSON.parse(data.textContent);
  if (!rounds.length) return;
  var chart = echarts.init(holder);
  chart.setOption({
    grid: { left: 48, right: 48, top: 40, bottom: 32 },
    tooltip: { trigger: "axis" },
    legend: { top: 0, data: [holder.dataset.rateLabel, holder.dataset.recordsLabel] },
    xAxis: { type: "category", data: rounds.map(function (r) { return "#" + r.round; }) },
    yAxis: [
      { type: "value", min: 0, max: 100, axisLabel: { formatter: "{value}%" } },
      { type: "value", minInterval: 1 }
    ],
    series: [
      {
        name: holder.dataset.rateLabel, type: "line", smooth: false,
        data: rounds.map(function (r) {
          return r.discovery_rate === null ? null : Math.round(r.discovery_rate * 1000) / 10;
        })
      },
      {
        name: holder.dataset.recordsLabel, type: "bar", yAxisIndex: 1, barMaxWidth: 24,
        itemStyle: { opacity: 0.35 }, data: rounds.map(function (r) { return r.records; })
      }
    ]
  });
  window.addEventListener("resize", function () { chart.resize(); });
})();
