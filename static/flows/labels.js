// Edge labels that do not cover one another. LogicFlow puts an edge's label at the middle of its longest segment, so
// edges that share their way (three intents from one question to the same next node) or run into the same node put
// their labels on one spot, where they read as one garbled word. `separate` keeps the first label there and moves
// each later one that would cover a label before it, or a node: further along its own edge, else beside its own spot
// or the label it covers (a label with no free spot stays where it was).
// An ES module, tested without a page (tests/js).

var GAP = 4;
var ALONG = [0.35, 0.65, 0.25, 0.75, 0.15, 0.85];  // shares of the edge's length tried after its own spot

// labels: [{id, x, y, width, height, points: [{x, y}, …]}] in drawing order ((x, y) the label's centre, `points`
// the edge's polyline); nodes: [{x, y, width, height}] by centre, which labels must not cover either.
// Returns {id: {x, y}} for the labels that move.
export function separate(labels, nodes) {
  var blocks = (nodes || []).map(function (n) { return box(n.x, n.y, n.width, n.height); });
  var placed = [], moved = {};
  labels.forEach(function (label) {
    var spot = freeSpot(label, placed, blocks);
    if (spot.x !== label.x || spot.y !== label.y) moved[label.id] = spot;
    placed.push(box(spot.x, spot.y, label.width, label.height));
  });
  return moved;
}

function freeSpot(label, placed, blocks) {
  var own = box(label.x, label.y, label.width, label.height);
  var covered = placed.filter(function (other) { return overlap(own, other); });
  if (!covered.length && !blocks.some(function (block) { return overlap(own, block); })) {
    return {x: label.x, y: label.y};
  }
  var spots = ALONG.map(function (share) { return pointAlong(label.points || [], share); }).filter(Boolean);
  [own].concat(covered).forEach(function (other) { spots = spots.concat(beside(other, label)); });
  var free = spots.find(function (spot) {
    var b = box(spot.x, spot.y, label.width, label.height);
    return !placed.some(function (other) { return overlap(b, other); }) &&
      !blocks.some(function (block) { return overlap(b, block); });
  });
  return free || {x: label.x, y: label.y};
}

// Right of, left of, below and above the box `other`, by the width or height of `label`.
function beside(other, label) {
  var cx = (other.left + other.right) / 2, cy = (other.top + other.bottom) / 2;
  return [
    {x: other.right + GAP + label.width / 2, y: cy},
    {x: other.left - GAP - label.width / 2, y: cy},
    {x: cx, y: other.bottom + GAP + label.height / 2},
    {x: cx, y: other.top - GAP - label.height / 2},
  ];
}

// The point at `share` of the polyline's length (null for a polyline without length).
export function pointAlong(points, share) {
  var lengths = [], total = 0;
  for (var i = 1; i < points.length; i++) {
    var length = Math.hypot(points[i].x - points[i - 1].x, points[i].y - points[i - 1].y);
    lengths.push(length);
    total += length;
  }
  if (!total) return null;
  var left = total * share;
  for (var j = 0; j < lengths.length; j++) {
    if (left <= lengths[j] && lengths[j] > 0) {
      var t = left / lengths[j];
      return {x: Math.round(points[j].x + t * (points[j + 1].x - points[j].x)),
        y: Math.round(points[j].y + t * (points[j + 1].y - points[j].y))};
    }
    left -= lengths[j];
  }
  return {x: points[points.length - 1].x, y: points[points.length - 1].y};
}

function box(x, y, width, height) {
  return {left: x - width / 2, right: x + width / 2, top: y - height / 2, bottom: y + height / 2};
}

export function overlap(a, b) {
  return a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom;
}

// How wide a label of `text` is drawn (12 px type: a Chinese character is about 12 px, other characters about 7,
// plus the label's padding), for pages that have no drawn label to measure yet.
export function labelWidth(text) {
  var width = 12;
  Array.from(String(text || "")).forEach(function (c) { width += c.charCodeAt(0) > 0x2e80 ? 12 : 7; });
  return width;
}
