// Auto layout (static/flows/layout.js) on the demo flow with the real dagre: the main path is one straight vertical
// line under a start node that does not move, and no two nodes overlap. Run by `make test` (node --test).
import assert from "node:assert/strict";
import {readFileSync} from "node:fs";
import {createRequire} from "node:module";
import {test} from "node:test";

import {positions, weight} from "../../static/flows/layout.js";
import {state} from "../../static/flows/nodes.js";

const dagre = createRequire(import.meta.url)("dagre");
const demo = JSON.parse(readFileSync(new URL("../../flows/demo/flow.json", import.meta.url), "utf8"));
const SIZE = {width: 232, height: 66};
state.labels.kinds = {transfer: {terminal: true, fields: []}, end: {terminal: true, fields: []}};

function layOut(graph) {
  const nodes = graph.nodes.map((n) => ({id: n.id, kind: n.kind, position: n.position, ...SIZE}));
  return positions(nodes, graph.edges, dagre);
}

test("the main path is one straight line running down from a start node that stays put", () => {
  const placed = layOut(demo);
  const start = demo.nodes.find((n) => n.kind === "start");
  assert.deepEqual(placed[start.id], start.position);
  const spine = ["start", "greet", "need", "ask_head", "ask_flow", "ask_qty", "ask_model", "quote", "quote_reaction"];
  assert.deepEqual(new Set(spine.map((id) => placed[id].x)), new Set([start.position.x]));
  spine.slice(1).forEach((id, i) => assert.ok(placed[id].y > placed[spine[i]].y, id));
});

test("no two nodes overlap", () => {
  const placed = Object.values(layOut(demo));
  placed.forEach((a, i) => placed.slice(i + 1).forEach((b) => {
    assert.ok(Math.abs(a.x - b.x) >= SIZE.width || Math.abs(a.y - b.y) >= SIZE.height, JSON.stringify([a, b]));
  }));
});

test("the edges a call takes when all goes well pull hardest", () => {
  assert.ok(weight({type: "default"}) > weight({type: "intent", intent: "询价"}));
  assert.ok(weight({type: "filled"}) > weight({type: "no_match"}));
  assert.equal(weight(undefined), weight({type: "default"}));
});

test("a flow whose edges loop back, or point at nothing, is still laid out", () => {
  const graph = {nodes: [{id: "s", kind: "start", position: {x: 0, y: 0}}, {id: "a", kind: "ask", position: {x: 9, y: 9}}],
    edges: [{id: "e1", source: "s", target: "a", condition: {type: "default"}},
      {id: "e2", source: "a", target: "a", condition: {type: "fallback"}},
      {id: "e3", source: "a", target: "gone", condition: {type: "filled"}}]};
  const placed = layOut(graph);
  assert.deepEqual(placed.s, {x: 0, y: 0});
  assert.ok(placed.a.y > 0 && placed.a.x === 0);
});
