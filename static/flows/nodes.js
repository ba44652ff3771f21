// SalesStudio flow shapes for LogicFlow, and the conversion between the flow graph JSON and LogicFlow's data.
// Shared by the editor and the read-only canvases (version diff, funnel, live tester, coverage). An ES module: the
// pure parts (summaries, labels, conversions) run and are tested without a page (tests/js, `node --test`).
// The node kinds come from the server (`flows/kinds.py`, `labels.kinds`): {kind: {label, icon, color, fields, terminal,
// start, summary}}.
import {labelWidth, separate} from "./labels.js";

var WIDTH = 232, HEIGHT = 66, LABEL_HEIGHT = 20;
export var state = {labels: {kinds: {}, conditions: {}}, issues: {}, diff: {}, elements: {}, slotsWord: "", intents: [], globalIntents: []};

export function kindOf(kind) {
  return state.labels.kinds[kind] || {label: kind, icon: "bi-question-circle", color: "#475569", fields: []};
}

function esc(text) {
  return String(text == null ? "" : text).replace(/[&<>"']/g, function (c) {
    return {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"}[c];
  });
}

export function summary(kind, p) {
  var first = function (list) { return (list && list.length) ? list[0] : ""; };
  var more = function (list) { return list && list.length > 1 ? " (+" + (list.length - 1) + ")" : ""; };
  var template = kindOf(kind).summary;
  if (template) {
    return template.replace(/%\((\w+)\)s/g, function (all, name) { return p[name] == null ? "?" : p[name]; });
  }
  switch (kind) {
    case "ask": return (p.slots && p.slots.length ? "⟨" + p.slots.join("、") + "⟩ " : "") + first(p.prompts);
    case "transfer": return (p.queue ? "[" + p.queue + "] " : "") + first(p.texts);
    case "end": return first(p.texts);
    default: return first(p.texts || p.prompts) + more(p.texts || p.prompts);
  }
}

export function nodeHtml(kind, p, id) {
  var issue = state.issues[id];
  var diff = state.diff[id];
  var info = kindOf(kind);
  var cls = "ss-node ss-kind-" + kind + (issue ? " ss-has-" + issue : "") + (diff ? " ss-diff-" + diff : "");
  var text = summary(kind, p);
  var badge = kind === "end" && p.outcome ? '<span class="ss-node-outcome">' + esc(p.outcome) + "</span>" : "";
  return '<div class="' + cls + '" style="--kind: ' + esc(info.color) + '" data-node-id="' + esc(id) + '">' +
    '<div class="ss-node-icon"><i class="bi ' + esc(info.icon) + '"></i></div>' +
    '<div class="ss-node-body"><div class="ss-node-title">' + esc(p.title || info.label) +
    badge + "</div>" +
    '<div class="ss-node-summary' + (text ? "" : " ss-empty") + '">' + esc(text || info.label) +
    "</div></div>" + '<span class="ss-node-flag"><i class="bi bi-exclamation-circle-fill"></i></span></div>';
}

// An expression as a manager reads it: the condition language's words in the page's language.
export function exprText(expr) {
  var words = state.labels.exprWords || {};
  return expr.replace(/\b([a-z]+)\(/g, function (all, word) { return (words[word] || word) + "("; })
    .replace(/\b(and|or|not)\b/g, function (word) { return words[word] || word; });
}

export function conditionLabel(c) {
  if (!c) return "";
  var names = state.labels.conditions;
  if (c.type === "intent") return c.intent || names.intent;
  if (c.type === "expr") return c.expr ? exprText(c.expr) : names.expr;
  return names[c.type] || c.type;
}

export function register(lf, options) {
  var Core = window.Core;
  var readOnly = !!(options && options.readOnly);

  function makeView() {
    class View extends Core.HtmlNode {}
    View.prototype.setHtml = function (rootEl) {
      var model = this.props.model;
      var kind = model.type.slice(3);
      if (model.graphModel && model.graphModel.isMiniMap) {
        rootEl.innerHTML = '<div class="ss-mini" style="--kind: ' + esc(kindOf(kind).color) + '"></div>';
        return;
      }
      rootEl.innerHTML = nodeHtml(kind, model.properties || {}, model.id);
      state.elements[model.id] = rootEl;
    };
    View.prototype.shouldUpdate = function () {
      var data = JSON.stringify(this.props.model.properties) + (state.issues[this.props.model.id] || "");
      if (this.preProperties === data) return false;
      this.preProperties = data;
      return true;
    };
    return View;
  }

  function makeModel(kind) {
    class Model extends Core.HtmlNodeModel {}
    Model.prototype.setAttributes = function () {
      this.width = WIDTH;
      this.height = HEIGHT;
      this.text.editable = false;
      this.text.value = "";
    };
    Model.prototype.getConnectedSourceRules = function () {
      var rules = Core.HtmlNodeModel.prototype.getConnectedSourceRules.call(this);
      if (kindOf(kind).terminal) {
        rules.push({message: "terminal", validate: function () { return false; }});
      }
      rules.push({message: "self", validate: function (s, t) { return !t || s.id !== t.id; }});
      return rules;
    };
    Model.prototype.getConnectedTargetRules = function () {
      var rules = Core.HtmlNodeModel.prototype.getConnectedTargetRules.call(this);
      if (kindOf(kind).start) rules.push({message: "start", validate: function () { return false; }});
      return rules;
    };
    Model.prototype.getOutlineStyle = function () {
      var style = Core.HtmlNodeModel.prototype.getOutlineStyle.call(this);
      style.stroke = "none";
      style.hover = {stroke: "none"};
      return style;
    };
    return Model;
  }

  class EdgeModel extends Core.PolylineEdgeModel {}
  EdgeModel.prototype.initEdgeData = function (data) {
    data.properties = data.properties || {};
    if (!data.properties.condition) {
      data.properties.condition = defaultCondition(lf, data.sourceNodeId);
    }
    data.text = {value: conditionLabel(data.properties.condition), x: data.text && data.text.x,
      y: data.text && data.text.y};
    if (data.text.x == null) { delete data.text.x; delete data.text.y; }
    Core.PolylineEdgeModel.prototype.initEdgeData.call(this, data);
  };
  EdgeModel.prototype.setAttributes = function () {
    this.offset = 24;
    this.text.editable = false;
  };
  EdgeModel.prototype.getEdgeStyle = function () {
    var style = Core.PolylineEdgeModel.prototype.getEdgeStyle.call(this);
    var c = (this.properties && this.properties.condition) || {};
    var diff = state.diff["edge:" + this.id];
    style.strokeWidth = 1.6;
    style.stroke = {intent: "#ea580c", no_match: "#94a3b8", silence: "#94a3b8", fallback: "#dc2626",
      expr: "#0d9488", filled: "#7c3aed"}[c.type] || "#64748b";
    if (c.type === "no_match" || c.type === "silence" || c.type === "fallback") style.strokeDasharray = "5 4";
    if (diff) {
      style.stroke = {added: "#16a34a", removed: "#dc2626", changed: "#d97706"}[diff];
      style.strokeWidth = 3;
      if (diff === "removed") style.strokeDasharray = "6 4";
    }
    if (state.issues["edge:" + this.id]) { style.stroke = "#dc2626"; style.strokeWidth = 2.5; }
    if (this.isSelected) { style.stroke = "#2563eb"; style.strokeWidth = 2.5; }
    return style;
  };
  EdgeModel.prototype.getTextStyle = function () {
    var style = Core.PolylineEdgeModel.prototype.getTextStyle.call(this);
    style.fontSize = 12;
    style.color = "#334155";
    style.background = {fill: "#ffffff", stroke: "#e2e8f0", radius: 4, wrapPadding: "2px 6px"};
    return style;
  };

  var View = makeView();
  Object.keys(state.labels.kinds).forEach(function (kind) {
    lf.register({type: "ss-" + kind, view: View, model: makeModel(kind)});
  });
  lf.register({type: "ss-edge", view: Core.PolylineEdge, model: EdgeModel});
  return readOnly;
}

// The condition a new connection gets: the one exit this kind of node still lacks. A branch takes the first of the
// bot's own intents it does not handle yet; the start node, once it has its next step, the first unhandled global.
function defaultCondition(lf, sourceId) {
  var source = lf.getNodeModelById(sourceId);
  var kind = source ? source.type.slice(3) : "say";
  var used = lf.getNodeOutgoingEdge(sourceId).map(function (e) { return (e.properties || {}).condition || {}; });
  var has = function (type) { return used.some(function (c) { return c.type === type; }); };
  var taken = used.map(function (c) { return c.intent; });
  var firstFree = function (names) { return names.filter(function (name) { return taken.indexOf(name) < 0; })[0]; };
  if (kind === "ask") return has("filled") ? {type: "fallback"} : {type: "filled"};
  if (kind === "branch") {
    if (firstFree(state.intents)) return {type: "intent", intent: firstFree(state.intents)};
    return has("no_match") ? (has("silence") ? {type: "default"} : {type: "silence"}) : {type: "no_match"};
  }
  if (kind === "start" && has("default") && firstFree(state.globalIntents)) {
    return {type: "intent", intent: firstFree(state.globalIntents)};
  }
  return {type: "default"};
}

export function toLogicFlow(graph) {
  var nodes = (graph.nodes || []).map(function (n) {
    var props = {};
    Object.keys(n).forEach(function (k) { if (["id", "kind", "position"].indexOf(k) < 0) props[k] = n[k]; });
    var pos = n.position || {x: 0, y: 0};
    return {id: n.id, type: "ss-" + n.kind, x: pos.x, y: pos.y, properties: props};
  });
  var edges = (graph.edges || []).map(function (e) {
    return {id: e.id, type: "ss-edge", sourceNodeId: e.source, targetNodeId: e.target,
      properties: {condition: e.condition}};
  });
  return {nodes: nodes, edges: edges};
}

export function fromLogicFlow(data, settings) {
  var nodes = data.nodes.map(function (n) {
    var kind = n.type.slice(3), p = n.properties || {};
    var node = {id: n.id, kind: kind, title: p.title || "", position: {x: Math.round(n.x), y: Math.round(n.y)}};
    kindOf(kind).fields.forEach(function (f) { if (p[f] !== undefined && p[f] !== null) node[f] = p[f]; });
    return node;
  });
  var edges = data.edges.map(function (e) {
    return {id: e.id, source: e.sourceNodeId, target: e.targetNodeId,
      condition: (e.properties && e.properties.condition) || {type: "default"}};
  });
  return {format: 1, settings: settings, nodes: nodes, edges: edges};
}

// A canvas that shows `graph` (our JSON) and cannot be edited: the version diff, the funnel, the live tester.
export function readOnlyCanvas(container, graph) {
  var lf = new window.Core.LogicFlow({container: container, isSilentMode: true, edgeType: "ss-edge",
    grid: {size: 10, visible: true, type: "dot", config: {color: "#e2e8f0", thickness: 1}}});
  register(lf, {readOnly: true});
  lf.render(toLogicFlow(graph));
  separateLabels(lf);
  return lf;
}

// Moves the edge labels that would cover one another (static/flows/labels.js) and puts the others back on their
// edge's own spot (after a node moved, say).
export function separateLabels(lf) {
  var edges = lf.graphModel.edges.filter(function (e) { return e.text && e.text.value; });
  var moved = separate(edges.map(function (e) {
    var spot = e.textPosition;
    return {id: e.id, x: spot.x, y: spot.y, width: labelWidth(e.text.value), height: LABEL_HEIGHT,
      points: e.pointsList};
  }), lf.graphModel.nodes.map(function (n) { return {x: n.x, y: n.y, width: n.width, height: n.height}; }));
  edges.forEach(function (e) {
    var spot = moved[e.id] || e.textPosition;
    if (e.text.x !== spot.x || e.text.y !== spot.y) e.moveText(spot.x - e.text.x, spot.y - e.text.y);
  });
}

// The drawn box of node `id` (once rendered), for pages that decorate it.
export function nodeBox(id) {
  var root = state.elements[id];
  return root ? root.querySelector(".ss-node") : null;
}

