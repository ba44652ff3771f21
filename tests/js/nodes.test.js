// The pure parts of the canvas's shapes (static/flows/nodes.js): what a node box says, edge labels, and the
// conversion between the flow JSON and LogicFlow's data. Run by `make test` (node --test).
import assert from "node:assert/strict";
import {readFileSync} from "node:fs";
import {test} from "node:test";

import * as Shapes from "../../static/flows/nodes.js";

const demo = JSON.parse(readFileSync(new URL("../../flows/demo/flow.json", import.meta.url), "utf8"));
// The kind table as the server sends it (flows/kinds.py, canvas_kinds), in the parts these tests read.
const KINDS = {start: {label: "开始", fields: [], start: true}, say: {label: "播报", fields: ["texts"]},
  ask: {label: "询问", fields: ["slots", "prompts", "reprompts", "max_retries"]},
  branch: {label: "意图分支", fields: ["prompts", "reprompts", "max_retries"]}, condition: {label: "条件", fields: []},
  wait: {label: "等待", fields: ["seconds"], summary: "%(seconds)s 秒"},
  transfer: {label: "转人工", fields: ["texts", "queue"], terminal: true},
  end: {label: "结束", fields: ["texts", "outcome"], terminal: true}};
Shapes.state.labels = {kinds: KINDS, conditions: {}};

test("a node's summary is its first script, with how many more there are", () => {
  assert.equal(Shapes.summary("say", {texts: ["您好", "你好"]}), "您好 (+1)");
  assert.equal(Shapes.summary("ask", {slots: ["扬程", "流量"], prompts: ["要多大？"]}), "⟨扬程、流量⟩ 要多大？");
  assert.equal(Shapes.summary("transfer", {queue: "售后", texts: ["马上转接"]}), "[售后] 马上转接");
  assert.equal(Shapes.summary("condition", {}), "");
});

test("a kind with a summary template fills it from the node's fields", () => {
  assert.equal(Shapes.summary("wait", {seconds: 3}), "3 秒");
  assert.equal(Shapes.summary("wait", {}), "? 秒");
});

test("a node's box escapes what the manager typed", () => {
  const html = Shapes.nodeHtml("say", {title: "<img src=x onerror=alert(1)>", texts: ["\"引号\" & 符号"]}, "n1");
  assert.ok(!html.includes("<img"));
  assert.ok(html.includes("&lt;img src=x onerror=alert(1)&gt;") && html.includes("&quot;引号&quot; &amp; 符号"));
  assert.ok(html.includes('data-node-id="n1"'));
  const untitled = Shapes.nodeHtml("condition", {}, "n2");
  assert.ok(untitled.includes("条件"), "an untitled node is named by its kind");
});

test("an edge is labelled in the page's words: the intent, the condition in words, or the exit's name", () => {
  Shapes.state.labels = {kinds: KINDS, conditions: {default: "默认", intent: "意图", expr: "条件"},
    exprWords: {filled: "已填写", remembered: "已记住", and: "且", or: "或", not: "非"}};
  assert.equal(Shapes.conditionLabel({type: "intent", intent: "询价"}), "询价");
  assert.equal(Shapes.conditionLabel({type: "default"}), "默认");
  assert.equal(Shapes.conditionLabel({type: "expr", expr: "filled(扬程) and not remembered(流量) or 数量 > 1"}),
    "已填写(扬程) 且 非 已记住(流量) 或 数量 > 1");
  assert.equal(Shapes.conditionLabel({type: "expr", expr: "brand == 'android'"}), "brand == 'android'");
  assert.equal(Shapes.conditionLabel({type: "expr"}), "条件");
  assert.equal(Shapes.conditionLabel(null), "");
});

test("the demo flow survives the round trip through LogicFlow's data", () => {
  const back = Shapes.fromLogicFlow(Shapes.toLogicFlow(demo), demo.settings);
  assert.deepEqual(back.nodes.map((n) => n.id), demo.nodes.map((n) => n.id));
  assert.deepEqual(back.nodes.map((n) => n.position), demo.nodes.map((n) => n.position));
  assert.deepEqual(back.edges, demo.edges.map((e) => ({id: e.id, source: e.source, target: e.target,
    condition: e.condition})));
  const ask = back.nodes.find((n) => n.kind === "ask");
  assert.deepEqual(ask.slots, demo.nodes.find((n) => n.id === ask.id).slots);
});

test("a kind the page does not know is still drawn", () => {
  assert.equal(Shapes.kindOf("nonesuch").label, "nonesuch");
  assert.deepEqual(Shapes.kindOf("nonesuch").fields, []);
});
