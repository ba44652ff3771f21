// Edge labels moved apart (static/flows/labels.js): labels on one spot end up side by side or along their edges,
// a label alone stays where LogicFlow put it, and a moved label covers no node. Run by `make test` (node --test).
import assert from "node:assert/strict";
import {test} from "node:test";

import {labelWidth, overlap, pointAlong, separate} from "../../static/flows/labels.js";

const DOWN = [{x: 0, y: 0}, {x: 0, y: 70}];  // a short way down from one node to the next

function boxes(labels, moved) {
  return labels.map((l) => {
    const at = moved[l.id] || l;
    return {left: at.x - l.width / 2, right: at.x + l.width / 2, top: at.y - l.height / 2, bottom: at.y + l.height / 2};
  });
}

test("three labels on one spot end up apart, the first where it was", () => {
  const labels = ["询价", "肯定", "需求确认"].map((text, i) => (
    {id: `e${i}`, x: 0, y: 35, width: labelWidth(text), height: 20, points: DOWN}));
  const nodes = [{x: 0, y: -33, width: 232, height: 66}, {x: 0, y: 103, width: 232, height: 66}];
  const moved = separate(labels, nodes);
  assert.equal(moved.e0, undefined);
  assert.deepEqual(Object.keys(moved).sort(), ["e1", "e2"]);
  const drawn = boxes(labels, moved);
  drawn.forEach((a, i) => drawn.slice(i + 1).forEach((b) => assert.ok(!overlap(a, b), JSON.stringify([a, b]))));
  nodes.map((n) => ({left: n.x - n.width / 2, right: n.x + n.width / 2, top: n.y - n.height / 2,
    bottom: n.y + n.height / 2})).forEach((n) => drawn.forEach((b) => assert.ok(!overlap(b, n))));
});

test("a label that covers nothing stays, and one on a long edge moves along it first", () => {
  const long = [{x: 0, y: 0}, {x: 0, y: 400}];
  const labels = [{id: "a", x: 0, y: 200, width: 40, height: 20, points: long},
    {id: "b", x: 0, y: 200, width: 40, height: 20, points: long},
    {id: "c", x: 300, y: 200, width: 40, height: 20, points: [{x: 300, y: 0}, {x: 300, y: 400}]}];
  const moved = separate(labels, []);
  assert.deepEqual(moved, {b: {x: 0, y: 140}});  // 35 % of the way down
});

test("points along a polyline", () => {
  const corner = [{x: 0, y: 0}, {x: 100, y: 0}, {x: 100, y: 100}];
  assert.deepEqual(pointAlong(corner, 0.25), {x: 50, y: 0});
  assert.deepEqual(pointAlong(corner, 0.75), {x: 100, y: 50});
  assert.equal(pointAlong([{x: 5, y: 5}], 0.5), null);
  assert.ok(labelWidth("需求确认") > labelWidth("否定") && labelWidth("No match") > labelWidth("ab"));
});
