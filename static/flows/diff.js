// The read-only canvas of the version diff: the newer graph plus the removed items, coloured by their change.
import * as Shapes from "./nodes.js";
(function () {
  "use strict";
  var read = function (id) { return JSON.parse(document.getElementById(id).textContent); };
  var graph = read("diff-graph"), nodes = read("diff-nodes"), edges = read("diff-edges");
  Shapes.state.labels = read("diff-labels");
  Object.keys(nodes).forEach(function (id) { Shapes.state.diff[id] = nodes[id]; });
  Object.keys(edges).forEach(function (id) { Shapes.state.diff["edge:" + id] = edges[id]; });
  var container = document.getElementById("diff-canvas");
  var lf = Shapes.readOnlyCanvas(container, graph);
  lf.fitView(40, 40);
  document.querySelectorAll("[data-testid=changes] [data-id]").forEach(function (item) {
    item.style.cursor = "pointer";
    item.addEventListener("click", function () {
      var id = item.dataset.what === "edge" ? (lf.getEdgeModelById(item.dataset.id) || {}).sourceNodeId : item.dataset.id;
      if (id && lf.getNodeModelById(id)) lf.focusOn(id);
    });
  });
  container.dataset.ready = "1";
  window.flowDiff = {lf: lf};
})();
