// The flow editor: LogicFlow canvas, palette, server-rendered side panel (htmx), autosave with optimistic locking,
// live validation list, publish. The server owns the data: every node edit goes through the panel's form.
import * as Shapes from "./nodes.js";
import * as FlowLayout from "./layout.js";
import * as PanelForm from "./panel-form.js";
(function () {
  "use strict";
  var BIG_FLOW = 120;
  var READABLE_ZOOM = 0.8;  // below this the node texts are too small to read
  var config = JSON.parse(document.getElementById("flow-config").textContent);
  var graph = JSON.parse(document.getElementById("flow-graph").textContent);
  var settings = graph.settings || {};
  var text = config.text;
  var container = document.getElementById("flow-canvas");
  var csrf = JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRFToken"];
  var canEdit = config.canEdit;

  Shapes.state.labels = {kinds: config.kinds, conditions: config.conditions, exprWords: config.exprWords};
  Shapes.state.intents = config.intents;
  Shapes.state.globalIntents = config.globalIntents;

  // ------------------------------------------------------------------------------------------------- canvas
  var counters = {n: 0, e: 0};
  (graph.nodes || []).concat(graph.edges || []).forEach(function (item) {
    var m = /^([ne])(\d+)$/.exec(item.id || "");
    if (m) counters[m[1]] = Math.max(counters[m[1]], +m[2]);
  });
  function nextId(type) {
    var prefix = type === "ss-edge" ? "e" : "n";
    counters[prefix] += 1;
    return prefix + counters[prefix];
  }

  var plugins = [window.Extension.MiniMap];
  // Big flows render only what is in view (LogicFlow's partial mode).
  var big = (graph.nodes || []).length > BIG_FLOW;
  var lf = new window.Core.LogicFlow({
    container: container,
    grid: {size: 10, visible: true, type: "dot", config: {color: "#cbd5e1", thickness: 1}},
    background: {backgroundColor: "#f8fafc"},
    keyboard: {enabled: true, shortcuts: [
      {keys: ["delete"], callback: function () { deleteSelected(); }},
    ]},
    snapline: true,
    partial: big,
    edgeType: "ss-edge",
    isSilentMode: !canEdit,
    idGenerator: nextId,
    plugins: plugins,
    pluginsOptions: {miniMap: {width: 180, height: 120, showEdge: !big, isShowHeader: false, rightPosition: 12,
      bottomPosition: 12}},
    style: {
      snapline: {stroke: "#2563eb", strokeWidth: 1},
      edgeText: {fontSize: 12, background: {fill: "#fff"}},
      polyline: {stroke: "#64748b", strokeWidth: 1.6},
    },
  });
  Shapes.register(lf, {readOnly: !canEdit});

  var loading = true;
  lf.render(Shapes.toLogicFlow(graph));
  separateDrawnLabels();
  showFlow();
  // The minimap draws the whole flow a second time: after the canvas is on screen.
  requestAnimationFrame(function () {
    setTimeout(function () { if (lf.extension.miniMap) lf.extension.miniMap.show(); }, 0);
  });
  loading = false;
  container.dataset.ready = "1";
  window.flowEditor = {lf: lf, save: function () { return save(true); }, getGraph: currentGraph,
    readyAt: performance.now()};

  // The whole flow when it fits at a readable size, else a readable zoom with the start node near the top of the
  // view, the flow running down from it ("fit" stays a button): on opening and after auto layout.
  function showFlow() {
    fit();
    if (lf.graphModel.transformModel.SCALE_X >= READABLE_ZOOM) return;
    lf.zoom(READABLE_ZOOM);
    var first = lf.graphModel.nodes.find(function (n) { return n.type === "ss-start"; }) || lf.graphModel.nodes[0];
    lf.focusOn(first.id);
    lf.translate(0, -Math.max(0, container.clientHeight / 2 - 90));
  }

  // Fit the whole flow in view, but never blow a small flow up beyond 100 %.
  function fit() {
    if (!lf.graphModel.nodes.length) return;
    lf.fitView(60, 60);
    if (lf.graphModel.transformModel.SCALE_X > 1) {
      lf.resetZoom();
      lf.resetTranslate();  // a small flow sits where it was drawn, at 100 %
    }
  }

  function currentGraph() {
    return Shapes.fromLogicFlow(lf.getGraphRawData(), settings);
  }

  // ------------------------------------------------------------------------------------------------ palette
  document.querySelectorAll(".palette-item").forEach(function (item) {
    item.addEventListener("pointerdown", function (e) {
      e.preventDefault();
      var kind = item.dataset.kind;
      lf.dnd.startDrag({type: "ss-" + kind, properties: {title: config.kinds[kind].label}});
    });
  });

  // ------------------------------------------------------------------------------------------- side panel
  var panel = document.getElementById("flow-panel");
  var emptyPanel = panel.innerHTML;

  function nodeJson(id) {
    var data = lf.getNodeDataById(id);
    if (!data) return null;
    return Shapes.fromLogicFlow({nodes: [data], edges: []}, settings).nodes[0];
  }

  function post(url, values) {
    return window.htmx.ajax("POST", url, {target: "#flow-panel", swap: "innerHTML", values: values,
      headers: {"X-CSRFToken": csrf}});
  }

  function openNode(id) {
    var node = nodeJson(id);
    if (node) post(config.urls.node_panel, {node: JSON.stringify(node)});
  }

  function openEdge(id) {
    var data = lf.getEdgeDataById(id);
    if (!data) return;
    var source = lf.getNodeModelById(data.sourceNodeId);
    var edge = {id: data.id, source: data.sourceNodeId, target: data.targetNodeId,
      condition: (data.properties || {}).condition || {type: "default"}};
    post(config.urls.edge_panel, {edge: JSON.stringify(edge), source_kind: source ? source.type.slice(3) : ""});
  }

  function clearPanel() { panel.innerHTML = emptyPanel; }

  lf.on("node:click", function (e) { openNode(e.data.id); });
  lf.on("edge:click", function (e) { openEdge(e.data.id); });
  lf.on("blank:click", clearPanel);
  lf.on("node:dnd-add", function (e) {
    lf.selectElementById(e.data.id);
    openNode(e.data.id);
  });
  lf.on("node:delete,edge:delete", clearPanel);

  // Edge labels that would cover one another are moved apart (Shapes.separateLabels). After a drawing from data
  // (the page's first, auto layout) LogicFlow has already put the drawing in its history: the spots join that step
  // instead of making one more to undo.
  function separateDrawnLabels() {
    Shapes.separateLabels(lf);
    lf.history.undos[lf.history.undos.length - 1] = lf.graphModel.modelToHistoryData();
  }
  // Labels are separated again in the same moment as the change that moved them, so undo takes back both at once.
  lf.on("node:drop,node:delete,edge:add,edge:delete,edge:adjust,edge:exchange-node", function () {
    Shapes.separateLabels(lf);
  });

  // The server answered a valid apply: put the normalised node on the canvas (position stays the canvas's).
  document.body.addEventListener("flow:node-applied", function (e) {
    var node = e.detail.node;
    var model = lf.getNodeModelById(node.id);
    if (!model) return;
    var props = {};
    Object.keys(node).forEach(function (k) { if (["id", "kind", "position"].indexOf(k) < 0) props[k] = node[k]; });
    Object.keys(model.properties || {}).forEach(function (k) { if (!(k in props)) lf.deleteProperty(node.id, k); });
    lf.setProperties(node.id, props);
    clearErrors();
  });
  document.body.addEventListener("flow:settings-applied", function (e) {
    settings = e.detail.settings;
    changed();  // not a canvas change, so LogicFlow's history does not see it
    clearErrors();
  });
  document.body.addEventListener("flow:edge-applied", function (e) {
    if (!lf.getEdgeModelById(e.detail.id)) return;
    lf.setProperties(e.detail.id, {condition: e.detail.condition});
    lf.updateText(e.detail.id, Shapes.conditionLabel(e.detail.condition));
    Shapes.separateLabels(lf);  // a longer or shorter label
    clearErrors();
  });
  function clearErrors() {
    panel.querySelectorAll(".invalid-feedback").forEach(function (el) { el.remove(); });
    panel.querySelectorAll(".is-invalid").forEach(function (el) { el.classList.remove("is-invalid"); });
  }

  PanelForm.enhance(panel);

  // ---------------------------------------------------------------------------------------- save & locking
  var statusEl = document.getElementById("save-status");
  var revisionEl = document.getElementById("flow-revision");
  var revision = config.revision;
  var changes = 0, savedChanges = 0, saving = null, timer = null, stale = false;

  function setStatus(message, level) {
    statusEl.textContent = message;
    statusEl.className = "small " + (level ? "text-" + level : "text-body-secondary");
  }

  var undoButton = document.querySelector("[data-action=undo]"), redoButton = document.querySelector("[data-action=redo]");
  lf.on("history:change", function (event) {
    undoButton.disabled = !event.data.undoAble;
    redoButton.disabled = !event.data.redoAble;
    if (!loading) changed();
  });

  function changed() {
    if (!canEdit) return;
    changes += 1;
    if (stale) return;
    setStatus(text.unsaved, "warning");
    clearTimeout(timer);
    timer = setTimeout(function () { save(false); }, 1200);
  }

  function save(force) {
    if (!canEdit) return Promise.resolve(false);
    if (stale) return Promise.resolve(false);
    if (saving) return saving.then(function () { return save(force); });
    if (!force && changes === savedChanges) return Promise.resolve(true);
    clearTimeout(timer);
    var upTo = changes;
    setStatus(text.saving);
    saving = fetch(config.urls.save, {
      method: "POST", credentials: "same-origin",
      headers: {"Content-Type": "application/json", "X-CSRFToken": csrf},
      body: JSON.stringify({revision: revision, graph: currentGraph()}),
    }).then(function (response) {
      return response.json().then(function (body) { return {status: response.status, body: body}; });
    }).then(function (result) {
      saving = null;
      if (result.status === 200) return saved(result.body, upTo);
      if (result.status === 409) return conflict(result.body);
      setStatus(text.saveFailed + ": " + (result.body.message || result.status), "danger");
      if (window.salesStudioToast) window.salesStudioToast(result.body.message || text.saveFailed, "danger");
      return false;
    }).catch(function (error) {
      saving = null;
      setStatus(text.saveFailed + ": " + error, "danger");
      return false;
    });
    return saving;
  }

  function saved(body, upTo) {
    revision = body.revision;
    revisionEl.textContent = revision;
    savedChanges = upTo;
    showIssues(body.issues, body.issues_html);
    if (changes !== savedChanges) {
      setStatus(text.unsaved, "warning");
      timer = setTimeout(function () { save(false); }, 1200);
    } else {
      setStatus(text.saved + " · " + body.at, "success");
    }
    return true;
  }

  function conflict(body) {
    stale = true;
    var box = document.getElementById("conflict");
    document.getElementById("conflict-text").textContent = config.text.conflict
      .replace("%(by)s", body.by).replace("%(at)s", body.at).replace("%(revision)s", body.revision);
    box.classList.remove("d-none");
    setStatus(text.saveFailed, "danger");
    return false;
  }

  window.addEventListener("beforeunload", function (e) {
    if (canEdit && !stale && changes !== savedChanges) { e.preventDefault(); e.returnValue = ""; }
  });

  // -------------------------------------------------------------------------------------------- validation
  function showIssues(list, html) {
    if (html != null) document.getElementById("flow-issues").innerHTML = html;
    var marks = {};
    (list || []).forEach(function (item) {
      var key = item.node_id || (item.edge_id ? "edge:" + item.edge_id : null);
      if (key && marks[key] !== "error") marks[key] = item.severity;
    });
    Shapes.state.issues = marks;
    Object.keys(Shapes.state.elements).forEach(function (id) {
      var el = Shapes.state.elements[id].querySelector(".ss-node");
      if (!el) return;
      el.classList.toggle("ss-has-error", marks[id] === "error");
      el.classList.toggle("ss-has-warning", marks[id] === "warning");
    });
    var errors = (list || []).filter(function (i) { return i.severity === "error"; }).length;
    document.getElementById("error-count").textContent = errors;
    document.getElementById("warning-count").textContent = (list || []).length - errors;
  }

  function issuesFromPage() {
    return Array.prototype.map.call(document.querySelectorAll("#flow-issues .issue"), function (el) {
      return {node_id: el.dataset.nodeId || null, edge_id: el.dataset.edgeId || null, severity: el.dataset.severity};
    });
  }
  showIssues(issuesFromPage(), null);

  function highlight(nodeId, edgeId) {
    lf.clearSelectElements();
    if (edgeId && lf.getEdgeModelById(edgeId)) {
      lf.selectElementById(edgeId);
      var edge = lf.getEdgeModelById(edgeId);
      lf.focusOn(edge.sourceNodeId);
      openEdge(edgeId);
      return;
    }
    if (!nodeId || !lf.getNodeModelById(nodeId)) return;
    lf.selectElementById(nodeId);
    lf.focusOn(nodeId);
    var root = Shapes.state.elements[nodeId];
    var el = root && root.querySelector(".ss-node");
    if (el) {
      el.classList.remove("ss-flash");
      void el.offsetWidth;
      el.classList.add("ss-flash");
    }
    openNode(nodeId);
  }
  document.addEventListener("click", function (e) {
    var issue = e.target.closest(".issue");
    if (!issue) return;
    e.preventDefault();
    var modal = issue.closest(".modal");
    if (modal) window.bootstrap.Modal.getInstance(modal).hide();
    highlight(issue.dataset.nodeId, issue.dataset.edgeId);
  });

  // ---------------------------------------------------------------------------------------------- toolbar
  function deleteSelected() {
    if (!canEdit) return;
    var selected = lf.getSelectElements(true);
    selected.edges.forEach(function (edge) { lf.deleteEdge(edge.id); });
    selected.nodes.forEach(function (node) { lf.deleteNode(node.id); });
    clearPanel();
  }

  // Auto layout redraws the flow from its JSON at the new positions, as a reload would (the edges find their
  // anchors again). LogicFlow records that in its history without announcing it: announced here, so that undo,
  // the minimap and saving follow.
  function layout() {
    var graph = currentGraph();
    var placed = FlowLayout.positions(graph.nodes.map(function (n) {
      var model = lf.getNodeModelById(n.id);
      return {id: n.id, kind: n.kind, position: n.position, width: model.width, height: model.height};
    }), graph.edges);
    graph.nodes.forEach(function (n) { n.position = placed[n.id]; });
    clearPanel();
    lf.renderRawData(Shapes.toLogicFlow(graph));
    separateDrawnLabels();
    var history = lf.history;
    lf.emit("history:change", {data: {undos: history.undos, redos: history.redos, undoAble: history.undoAble(),
      redoAble: history.redoAble()}});
    showFlow();
  }

  var actions = {
    settings: function () { post(config.urls.settings_panel, {settings: JSON.stringify(settings)}); },
    undo: function () { lf.undo(); },
    redo: function () { lf.redo(); },
    "zoom-in": function () { lf.zoom(true); },
    "zoom-out": function () { lf.zoom(false); },
    fit: fit,
    layout: layout,
    save: function () { save(true); },
    reload: function () { stale = true; changes = savedChanges; window.location.reload(); },
    "delete-selected": deleteSelected,
  };
  document.addEventListener("click", function (e) {
    var button = e.target.closest("[data-action]");
    if (button && actions[button.dataset.action]) actions[button.dataset.action]();
  });

  // Keys anywhere on the page (LogicFlow's own shortcuts only fire while the canvas has focus).
  document.addEventListener("keydown", function (e) {
    var typing = /^(INPUT|TEXTAREA|SELECT)$/.test(e.target.tagName) || e.target.isContentEditable;
    var mod = e.ctrlKey || e.metaKey;
    if (mod && e.key.toLowerCase() === "s") { e.preventDefault(); save(true); return; }
    if (typing || container.contains(e.target)) return;
    if (mod && e.key.toLowerCase() === "z") { e.preventDefault(); e.shiftKey ? lf.redo() : lf.undo(); }
    else if (mod && e.key.toLowerCase() === "y") { e.preventDefault(); lf.redo(); }
    else if (e.key === "Delete" || e.key === "Backspace") { if (canEdit) { e.preventDefault(); deleteSelected(); } }
  });

  // ---------------------------------------------------------------------------------------------- publish
  var publishForm = document.getElementById("publish-form");
  if (publishForm) {
    publishForm.addEventListener("submit", function (e) {
      e.preventDefault();
      document.getElementById("publish-result").innerHTML = "";
      save(true).then(function (ok) { if (ok) window.htmx.trigger(publishForm, "flow:publish-now"); });
    });
  }
  document.body.addEventListener("flow:published", function (e) {
    if (window.salesStudioToast) window.salesStudioToast(e.detail.text, "success");
  });
})();
