// The last test run's coverage on the read-only flow canvas: nodes some test reached in green, the others in red.
import * as Shapes from "../flows/nodes.js";
(function () {
  "use strict";
  var read = function (id) { return JSON.parse(document.getElementById(id).textContent); };
  var graph = read("coverage-graph"), uncovered = read("coverage-uncovered");
  Shapes.state.labels = read("coverage-labels");
  var container = document.getElementById("coverage-canvas");
  var lf = Shapes.readOnlyCanvas(container, graph);
  lf.fitView(40, 40);
  (graph.nodes || []).forEach(function (node) {
    var box = Shapes.nodeBox(node.id);
    if (!box) return;
    var missed = uncovered.indexOf(node.id) >= 0;
    box.classList.add(missed ? "coverage-miss" : "coverage-hit");
    box.dataset.covered = missed ? "0" : "1";
    box.dataset.coverageNode = node.id;
  });
  container.dataset.ready = "1";
})();
