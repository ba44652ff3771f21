// ECharts on the call dashboard: calls per day, outcomes, funnel per node, intents, latency percentiles per stage.
(function () {
  "use strict";
  var source = document.getElementById("analytics-data");
  if (!source) return;
  var data = JSON.parse(source.textContent);
  var charts = {};

  function chart(name, option) {
    var el = document.querySelector('[data-chart="' + name + '"]');
    var instance = echarts.getInstanceByDom(el) || echarts.init(el);
    instance.setOption(Object.assign({animation: false, tooltip: {trigger: "axis"}}, option), true);
    el.dataset.ready = "1";
    charts[name] = instance;
    return el;
  }

  var percent = {type: "value", min: 0, max: 1, axisLabel: {formatter: function (v) { return Math.round(v * 100) + "%"; }}};

  function perDay() {
    var el = document.querySelector('[data-chart="per-day"]');
    var days = data.per_day.map(function (d) { return d.day; });
    chart("per-day", {
      legend: {top: 0}, grid: {left: 45, right: 45, top: 30, bottom: 25},
      xAxis: {type: "category", data: days}, yAxis: [{type: "value", minInterval: 1}, percent],
      series: [
        {name: el.dataset.calls, type: "bar", data: data.per_day.map(function (d) { return d.calls; }), itemStyle: {color: "#93c5fd"}},
        {name: el.dataset.completion, type: "line", yAxisIndex: 1, data: data.per_day.map(function (d) { return d.completion_rate; })},
        {name: el.dataset.noMatch, type: "line", yAxisIndex: 1, data: data.per_day.map(function (d) { return d.no_match_rate; })}
      ]
    });
  }

  // Bootstrap's colours of the outcomes' tones (calls.models.OUTCOME_TONES): won, open, lost, handed over.
  var TONES = {success: "#198754", warning: "#f59e0b", danger: "#dc3545", primary: "#0d6efd", secondary: "#94a3b8"};

  function outcomes() {
    var el = document.querySelector('[data-chart="outcomes"]');
    chart("outcomes", {
      tooltip: {trigger: "item", formatter: "{b}: {c} ({d}%)"},
      series: [{type: "pie", radius: ["35%", "70%"], data: data.outcomes.map(function (o) {
        return {name: o.outcome || el.dataset.open, value: o.calls, itemStyle: {color: TONES[o.tone]}};
      })}]
    });
  }

  // Lead grades per day, stacked (calls.grading): A green … E grey.
  var GRADE_COLOURS = {A: "#198754", B: "#0d6efd", C: "#ffc107", D: "#6c757d", E: "#ced4da"};
  function grades() {
    var el = document.querySelector('[data-chart="grades"]');
    var days = data.grades.map(function (d) { return d.day; });
    chart("grades", {
      tooltip: {trigger: "axis"}, legend: {}, grid: {left: 40, right: 20, bottom: 30},
      xAxis: {type: "category", data: days}, yAxis: {type: "value", minInterval: 1},
      series: ["A", "B", "C", "D", "E"].map(function (g) {
        return {name: el.dataset["grade" + g], type: "bar", stack: "grades", itemStyle: {color: GRADE_COLOURS[g]},
                data: data.grades.map(function (d) { return d[g] || 0; })};
      })
    });
  }

  function funnel() {
    var el = document.querySelector('[data-chart="funnel"]');
    var rows = data.funnel.slice().reverse();
    // Every node's title stays readable: the chart grows with the flow instead of skipping labels.
    el.style.height = Math.max(280, 24 * rows.length + 60) + "px";
    chart("funnel", {
      legend: {top: 0}, grid: {left: 10, right: 20, top: 30, bottom: 20, containLabel: true},
      xAxis: {type: "value", minInterval: 1},
      yAxis: {type: "category", data: rows.map(function (r) { return r.title; }), axisLabel: {interval: 0}},
      series: [
        {name: el.dataset.entered, type: "bar", data: rows.map(function (r) { return r.calls; }), itemStyle: {color: "#60a5fa"}},
        {name: el.dataset.dropped, type: "bar", data: rows.map(function (r) { return r.dropped; }), itemStyle: {color: "#f87171"}}
      ]
    });
  }

  function intents() {
    var el = document.querySelector('[data-chart="intents"]');
    var rows = data.intents.slice().reverse();
    chart("intents", {
      grid: {left: 110, right: 20, top: 10, bottom: 20},
      xAxis: {type: "value", minInterval: 1},
      yAxis: {type: "category", data: rows.map(function (r) { return r.intent || el.dataset.none; })},
      series: [{name: el.dataset.turns, type: "bar", data: rows.map(function (r) { return r.turns; }), itemStyle: {color: "#a78bfa"}}]
    });
  }

  function latency(stage) {
    var days = data.latency.days, byDay = data.latency.stages[stage].by_day;
    chart("latency", {
      legend: {top: 0}, grid: {left: 50, right: 20, top: 30, bottom: 25},
      xAxis: {type: "category", data: days}, yAxis: {type: "value", name: "ms"},
      series: ["50", "90", "99"].map(function (p) {
        return {name: "p" + p, type: "line", connectNulls: true, data: days.map(function (d) { return byDay[d] ? byDay[d][p] : null; })};
      })
    });
  }

  perDay();
  outcomes();
  grades();
  funnel();
  intents();
  var select = document.querySelector("[data-latency-stage]");
  latency(select.value);
  select.addEventListener("change", function () { latency(select.value); });
  window.addEventListener("resize", function () { Object.keys(charts).forEach(function (k) { charts[k].resize(); }); });
  window.callAnalytics = {charts: charts, data: data};
})();
