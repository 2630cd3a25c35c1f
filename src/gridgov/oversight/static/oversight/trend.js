// A unit's published score and rank over the months (ECharts, loaded like the command centre).
(function () {
  "use strict";
  var el = document.getElementById("trend-chart");
  var data = JSON.parse(document.getElementById("trend-data").textContent);
  if (!el || !window.echarts) { return; }
  var chart = window.echarts.init(el);
  chart.setOption({
    animation: false,
    tooltip: { trigger: "axis" },
    legend: { data: [data.labels.score, data.labels.rank] },
    xAxis: { type: "category", data: data.months },
    yAxis: [{ type: "value", name: data.labels.score }, { type: "value", name: data.labels.rank, inverse: true, min: 1, minInterval: 1 }],
    series: [
      { name: data.labels.score, type: "line", data: data.scores, smooth: true },
      { name: data.labels.rank, type: "line", yAxisIndex: 1, data: data.ranks, lineStyle: { type: "dashed" } }
    ]
  });
  window.addEventListener("resize", function () { chart.resize(); });
})();
