// The funnel drawn on the read-only flow canvas: each node is tinted by the share of its calls that dropped there and
// carries its figures (entered / left / dropped · hung up, silence, no-match, barge-in).
import * as Shapes from "../flows/nodes.js";
(function () {
  "use strict";
  var read = function (id) { return JSON.parse(document.getElementById(id).textContent); };
  var graph = read("heat-graph"), rows = read("heat-rows");
  Shapes.state.labels = read("heat-labels");
  var container = document.getElementById("heat-canvas");
  var words = container.dataset;
  var lf = Shapes.readOnlyCanvas(container, graph);
  lf.fitView(40, 40);

  // The figures replace the node's summary line (the node box is clipped to its size).
  function figures(row, line) {
    var extra = [["hangups", row.hangups], ["silences", row.silences], ["noMatches", row.no_matches],
      ["bargeIns", row.barge_ins]].filter(function (x) { return x[1] > 0; })
      .map(function (x) { return words[x[0]] + " " + x[1]; }).join(" · ");
    line.className = "heat-badge";
    line.dataset.testid = "heat-badge";
    line.textContent = words.entered + " " + row.calls + " · " + words.left + " " + row.left + " · " +
      words.dropped + " " + row.dropped + (extra ? " · " + extra : "");
    line.title = line.textContent;
  }

  rows.forEach(function (row) {
    var node = Shapes.nodeBox(row.node);
    if (!node) return;
    // Hue from green (nobody drops here) to red (everybody who enters drops here).
    var hue = Math.round(120 * (1 - (row.drop_rate || 0)));
    node.style.background = "hsl(" + hue + " 75% " + (row.dropped ? 84 : 92) + "%)";
    node.classList.add("heat-node");
    node.dataset.entered = row.calls;
    node.dataset.dropped = row.dropped;
    figures(row, node.querySelector(".ss-node-summary"));
  });
  container.dataset.ready = "1";
  window.flowHeat = {lf: lf};
})();
