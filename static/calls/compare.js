// Charts of the compare-versions page (calls.views.analytics.compare): the rates of each version side by side, and
// how many of each version's calls were lost (dropped) at each node.
(function () {
  "use strict";
  var source = document.getElementById("compare-data");
  if (!source) return;
  var data = JSON.parse(source.textContent);
  var COLOURS = ["#94a3b8", "#0d6efd"];
  var charts = {};

  function draw(name, option) {
    var el = document.querySelector('[data-chart="' + name + '"]');
    var chart = echarts.init(el);
    chart.setOption(Object.assign({animation: false, color: COLOURS, legend: {top: 0}}, option));
    el.dataset.ready = "1";
    charts[name] = chart;
    return el;
  }

  var labels = document.querySelector('[data-chart="compare-rates"]').dataset.labels.split("|");
  draw("compare-rates", {
    tooltip: {trigger: "axis", valueFormatter: function (v) { return v == null ? "–" : Math.round(v * 100) + "%"; }},
    grid: {left: 45, right: 10, top: 30, bottom: 40},
    xAxis: {type: "category", data: labels, axisLabel: {interval: 0}},
    yAxis: {type: "value", min: 0, max: 1, axisLabel: {formatter: function (v) { return Math.round(v * 100) + "%"; }}},
    series: data.versions.map(function (version, i) { return {name: version, type: "bar", data: data.rates[i]}; })
  });
  // Horizontal bars, one row per node, so every node's title stays readable.
  var el = document.querySelector('[data-chart="compare-dropped"]');
  el.style.height = Math.max(220, 28 * data.nodes.length + 60) + "px";
  draw("compare-dropped", {
    tooltip: {trigger: "axis"}, grid: {left: 10, right: 20, top: 30, bottom: 20, containLabel: true},
    xAxis: {type: "value", minInterval: 1}, yAxis: {type: "category", data: data.nodes, inverse: true},
    series: data.versions.map(function (version, i) { return {name: version, type: "bar", data: data.dropped[i]}; })
  });
  window.addEventListener("resize", function () { Object.values(charts).forEach(function (c) { c.resize(); }); });
  window.compareCharts = charts;
})();
