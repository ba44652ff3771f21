// ECharts on the NLU pages: the live loss curve of a training run and the confusion-matrix heat map.
(function () {
  "use strict";

  function lossChart(el) {
    var data = JSON.parse(el.nextElementSibling.textContent);
    var stages = {};
    data.forEach(function (p, i) { (stages[p.stage] = stages[p.stage] || []).push([i, p.loss]); });
    var chart = echarts.getInstanceByDom(el) || echarts.init(el);
    chart.setOption({
      animation: false, grid: { left: 40, right: 10, top: 35, bottom: 40 }, tooltip: { trigger: "axis" },
      legend: { top: 0 },
      // the axes say what they count, in the page's language
      xAxis: { type: "value", name: el.dataset.xName, nameLocation: "middle", nameGap: 25, minInterval: 1 },
      yAxis: { type: "value", scale: true, name: el.dataset.yName, nameGap: 10 },
      series: Object.keys(stages).map(function (s) {
        return { name: el.dataset[s] || s, type: "line", showSymbol: false, data: stages[s] };  // in the page's language
      })
    });
  }

  function heatmap(el) {
    var confusion = JSON.parse(document.getElementById(el.dataset.source).textContent);
    var labels = confusion.labels, cells = [], max = 1;
    confusion.matrix.forEach(function (row, g) {
      row.forEach(function (n, p) { cells.push([p, g, n]); max = Math.max(max, n); });
    });
    (echarts.getInstanceByDom(el) || echarts.init(el)).setOption({
      tooltip: { formatter: function (x) { return labels[x.value[1]] + " → " + labels[x.value[0]] + ": " + x.value[2]; } },
      grid: { left: 110, right: 20, top: 10, bottom: 110 },
      xAxis: { type: "category", data: labels, name: el.dataset.predicted, nameLocation: "middle", nameGap: 70,
               axisLabel: { rotate: 45 } },
      yAxis: { type: "category", data: labels, name: el.dataset.gold, nameLocation: "middle", nameGap: 95,
               inverse: true },
      visualMap: { min: 0, max: max, calculable: true, orient: "horizontal", left: "center", bottom: 0, show: false,
                   inRange: { color: ["#f8fafc", "#2563eb"] } },
      series: [{ type: "heatmap", data: cells, label: { show: labels.length <= 20 } }]
    });
  }

  function scan(root) {
    root.querySelectorAll("[data-loss-chart]").forEach(lossChart);
    root.querySelectorAll("[data-heatmap]").forEach(heatmap);
  }
  document.addEventListener("DOMContentLoaded", function () { scan(document); });
  document.body.addEventListener("htmx:load", function (e) { scan(e.detail.elt); });
  // A run that just finished may have added a model version: show the whole page again.
  document.body.addEventListener("run-finished", function () { window.location.reload(); });
})();
