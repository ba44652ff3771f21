// Auto layout of a flow (dagre): top to bottom along the main path. The edges a call takes when all goes well
// (默认, 已填写) pull hardest, so they line up as a straight vertical spine; an intent pulls less, and what happens
// when something goes wrong (未匹配, 静默, 兜底, a condition's else) least, so those branches go to the side. The start
// node stays where it was, so the flow does not jump away from the manager's view. An ES module, tested without a page
// (tests/js).

import {kindOf} from "./nodes.js";

var WEIGHTS = {"default": 8, filled: 8, intent: 2};
var OPTIONS = {rankdir: "TB", nodesep: 50, ranksep: 70, edgesep: 20, ranker: "network-simplex"};

export function weight(condition) {
  return WEIGHTS[(condition || {}).type || "default"] || 1;
}

// nodes: [{id, kind, width, height, position}], edges: [{id, source, target, condition}] → {id: {x, y}}. `dagre` is
// the page's (vendor/dagre) unless given.
export function positions(nodes, edges, dagre) {
  dagre = dagre || window.dagre;
  var g = new dagre.graphlib.Graph({multigraph: true});
  g.setGraph(Object.assign({}, OPTIONS));
  g.setDefaultEdgeLabel(function () { return {}; });
  nodes.forEach(function (n) { g.setNode(n.id, {width: n.width || 180, height: n.height || 60}); });
  edges.forEach(function (e) {
    if (e.source === e.target || !g.hasNode(e.source) || !g.hasNode(e.target)) return;
    g.setEdge(e.source, e.target, {weight: weight(e.condition), minlen: 1}, e.id);
  });
  dagre.layout(g);
  var start = nodes.find(function (n) { return n.kind === "start"; }) || nodes[0];
  if (!start) return {};
  var shift = rankShifts(nodes, g, spine(nodes, edges, g, start.id));
  var dx = start.position ? start.position.x - g.node(start.id).x - shift[g.node(start.id).y] : 0;
  var dy = start.position ? start.position.y - g.node(start.id).y : 0;
  var placed = {};
  nodes.forEach(function (n) {
    var p = g.node(n.id);
    placed[n.id] = {x: Math.round(p.x + shift[p.y] + dx), y: Math.round(p.y + dy)};
  });
  return placed;
}

// The main path from the start: at each node the way down to the next rank (a straight line cannot pass through
// the nodes a longer edge skips), towards a node that goes on rather than ends the call, then the one that pulls
// hardest, then the longest way on (ties: the order the edges were drawn in).
function spine(nodes, edges, g, startId) {
  var kinds = {}, out = {}, deepest = {};
  nodes.forEach(function (n) { kinds[n.id] = n.kind; });
  edges.forEach(function (e) {
    if (g.hasNode(e.source) && g.hasNode(e.target)) (out[e.source] = out[e.source] || []).push(e);
  });
  function down(id) {
    return (out[id] || []).filter(function (e) { return g.node(e.target).y > g.node(id).y; });
  }
  function depth(id) {  // the lowest rank reachable going down (edges down only: no cycle)
    if (deepest[id] == null) {
      deepest[id] = down(id).reduce(function (low, e) { return Math.max(low, depth(e.target)); }, g.node(id).y);
    }
    return deepest[id];
  }
  var ranks = Array.from(new Set(nodes.map(function (n) { return g.node(n.id).y; }))).sort(function (a, b) {
    return a - b;
  });
  function score(e) {
    var next = ranks.indexOf(g.node(e.target).y) === ranks.indexOf(g.node(e.source).y) + 1 ? 1 : 0;
    var goesOn = kindOf(kinds[e.target]).terminal ? 0 : 1;
    return [next, goesOn, weight(e.condition), depth(e.target)];
  }
  var path = [startId], current = startId;
  for (;;) {
    var ways = down(current);
    if (!ways.length) break;
    var best = ways.reduce(function (a, b) {
      var sa = score(a), sb = score(b);
      for (var i = 0; i < sa.length; i++) if (sa[i] !== sb[i]) return sb[i] > sa[i] ? b : a;
      return a;
    });
    current = best.target;
    path.push(current);
  }
  return path;
}

// How far each rank (a y of dagre's) moves sideways so that the main path is one straight vertical line. A whole
// rank moves together, so nodes keep their order and spacing; a rank off the main path moves as the nearest one
// above it that has a node on it (or below, at the top).
function rankShifts(nodes, g, path) {
  var onPath = {}, shift = {};
  path.forEach(function (id) { onPath[g.node(id).y] = g.node(id).x; });
  var x0 = g.node(path[0]).x;
  var ranks = Array.from(new Set(nodes.map(function (n) { return g.node(n.id).y; }))).sort(function (a, b) {
    return a - b;
  });
  var last = null;
  ranks.forEach(function (y) {
    if (onPath[y] != null) last = x0 - onPath[y];
    shift[y] = last;
  });
  var first = ranks.find(function (y) { return onPath[y] != null; });
  ranks.forEach(function (y) { if (shift[y] == null) shift[y] = x0 - onPath[first]; });
  return shift;
}

