// The live call tester: a WebSocket call (protocol in README.md, "Live call protocol"), the microphone through an
// AudioWorklet (static/calls/mic-worklet.js), streamed bot audio, chat bubbles and a debug card per turn.
import * as Shapes from "../flows/nodes.js";
(function () {
  "use strict";
  var byId = function (id) { return document.getElementById(id); };
  var config = JSON.parse(byId("tester-config").textContent);
  if (!config.version) return;
  var T = config.text;
  var script = byId("tester-script");
  var STAGES = ["vad", "asr", "nlu", "flow", "tts"];

  // --- the read-only canvas of the called version, the current node highlighted ------------------------------------
  Shapes.state.labels = config.labels;
  var container = byId("tester-canvas");
  var lf = Shapes.readOnlyCanvas(container, config.graph);
  var startNode = (config.graph.nodes || []).find(function (n) { return n.kind === "start"; });
  if (startNode) lf.focusOn(startNode.id);  // the call begins there; the view follows the call from then on
  container.dataset.ready = "1";

  function highlight(path, node) {
    container.querySelectorAll(".tester-current").forEach(function (el) { el.classList.remove("tester-current"); });
    path.forEach(function (id) { var box = Shapes.nodeBox(id); if (box) box.classList.add("tester-visited"); });
    var box = Shapes.nodeBox(node);
    if (box) box.classList.add("tester-current");
    container.dataset.current = node;
    if (lf.getNodeModelById(node)) lf.focusOn(node);
  }

  // --- chat and debug panel -------------------------------------------------------------------------------------------
  var chat = byId("tester-chat"), turnsBox = byId("tester-turns"), statusBox = byId("tester-status");

  function bubble(kind, text, testid) {
    var el = document.createElement("div");
    el.className = "tester-bubble from-" + kind;
    el.dataset.testid = testid || "bubble-" + kind;
    el.textContent = text;
    chat.appendChild(el);
    chat.scrollTop = chat.scrollHeight;
    return el;
  }

  function status(text, tone) {
    statusBox.textContent = text;
    statusBox.className = "ms-auto small" + (tone ? " text-" + tone : "");
  }

  var cards = {}, pending = {};

  function card(turn) {
    if (cards[turn]) return cards[turn];
    var el = byId("tester-turn-template").content.firstElementChild.cloneNode(true);
    el.dataset.turn = turn;
    field(el, "index").textContent = turn;
    turnsBox.prepend(el);
    cards[turn] = el;
    return el;
  }

  function field(el, name) { return el.querySelector("[data-field=" + name + "]"); }

  function formatValue(value) {
    return typeof value === "object" && value !== null ? JSON.stringify(value) : String(value);
  }

  function showSlots(el, slots, changed, remembered) {
    remembered = remembered || {};
    var box = field(el, "slots");
    box.textContent = "";
    var names = Object.keys(slots).concat(Object.keys(changed).filter(function (n) { return !(n in slots); }));
    if (!names.length) { box.textContent = T.none; return; }
    names.forEach(function (name) {
      var item = document.createElement("span");
      item.className = "me-2" + (name in changed ? " tester-changed" : "");
      item.dataset.slot = name;
      item.textContent = name + " = " + (name in slots ? formatValue(slots[name]) : "∅");
      if (name in remembered) {  // from the customer's earlier call, not said in this one
        item.classList.add("tester-remembered");
        item.dataset.remembered = remembered[name];
        item.title = T.remembered.replace("%(date)s", remembered[name]);
        item.textContent += " (" + item.title + ")";
      }
      box.appendChild(item);
    });
  }

  // Which NLU answered (the protocol's `nlu`/`source`: "model vN", "examples" or "lexicon…"), in the page's language.
  function sourceLabel(source) {
    var model = /^model v(\d+)$/.exec(source || "");
    if (model) return T.sourceModel.replace("%(n)s", model[1]);
    return source === "examples" ? T.sourceExamples : T.sourceLexicon;
  }

  function showNlu(el, nlu) {
    var box = field(el, "intent");
    box.textContent = "";
    var head = document.createElement("div");
    head.textContent = (nlu.intent || T.noIntent) + (nlu.intent ? " (" + nlu.confidence.toFixed(2) + ")" : "") +
      " · " + T.source + " " + sourceLabel(nlu.source);
    box.appendChild(head);
    nlu.top.forEach(function (pair) {
      var row = document.createElement("div");
      row.className = "d-flex align-items-center gap-2";
      row.dataset.testid = "top-intent";
      row.innerHTML = '<span class="text-truncate" style="width:7rem"></span><div class="progress flex-grow-1" ' +
        'style="height:.5rem"><div class="progress-bar"></div></div><span class="text-body-secondary"></span>';
      row.children[0].textContent = pair[0];
      row.children[1].firstElementChild.style.width = Math.round(pair[1] * 100) + "%";
      row.children[2].textContent = pair[1].toFixed(2);
      box.appendChild(row);
    });
  }

  // The knowledge base's best entry for the utterance, its score, and whether the bot answered with it.
  function showKnowledge(el, knowledge) {
    var box = field(el, "knowledge");
    if (!knowledge || !knowledge.question) return;
    var why = knowledge.answered ? T.answered
      : knowledge.example ? T.nearerExample.replace("%(example)s", knowledge.example) : T.notAnswered;
    box.textContent = knowledge.question + " · " + T.score + " " + knowledge.score.toFixed(3) + " · " + why;
    box.classList.toggle("text-body-secondary", !knowledge.answered);
    box.dataset.answered = knowledge.answered ? "1" : "0";
  }

  function showLatency(el, message) {
    var bar = field(el, "latency");
    bar.textContent = "";
    var total = Math.max(message.total, 1);
    STAGES.forEach(function (stage) {
      var ms = message.stages[stage];
      if (ms == null) return;
      var part = document.createElement("span");
      part.className = "tester-stage-" + stage;
      part.dataset.stage = stage;
      part.style.width = (100 * ms / total) + "%";
      part.title = config.stages[stage] + " " + ms + " ms";
      part.textContent = ms >= total * 0.12 ? config.stages[stage] + " " + ms : "";
      bar.appendChild(part);
    });
    field(el, "total").textContent = message.total + " ms";
  }

  // --- bot audio: 16 kHz s16le mono chunks, scheduled back to back -----------------------------------------------------
  var audioContext = null, playAt = 0, playing = [];

  function play(buffer) {
    if (!audioContext) return;
    var pcm = new Int16Array(buffer), samples = new Float32Array(pcm.length);
    for (var i = 0; i < pcm.length; i++) samples[i] = pcm[i] / 32768;
    var clip = audioContext.createBuffer(1, samples.length, 16000);
    clip.copyToChannel(samples, 0);
    var source = audioContext.createBufferSource();
    source.buffer = clip;
    source.connect(audioContext.destination);
    playAt = Math.max(playAt, audioContext.currentTime + 0.05);
    source.start(playAt);
    playAt += clip.duration;
    playing.push(source);
    source.onended = function () { playing.splice(playing.indexOf(source), 1); };
  }

  function stopPlayback() {
    playing.slice().forEach(function (source) { try { source.stop(); } catch (e) { /* already stopped */ } });
    playing = [];
    playAt = 0;
  }

  // --- microphone -------------------------------------------------------------------------------------------------------
  var micStream = null, micNode = null, level = byId("tester-mic-level");

  async function startMic() {
    micStream = await navigator.mediaDevices.getUserMedia(
      {audio: {channelCount: 1, echoCancellation: true, noiseSuppression: true, autoGainControl: true}});
    await audioContext.audioWorklet.addModule(script.dataset.worklet);
    micNode = new AudioWorkletNode(audioContext, "mic-frames");
    var silent = audioContext.createGain();
    silent.gain.value = 0;  // the worklet must be pulled by the graph, but the caller must not hear themself
    audioContext.createMediaStreamSource(micStream).connect(micNode).connect(silent).connect(audioContext.destination);
    var meter = level.querySelector(".tester-level > span");
    micNode.port.onmessage = function (event) {
      if (ended) { stopMic(); return; }  // a frame the worklet queued before the call ended is dropped
      if (socket && socket.readyState === WebSocket.OPEN) socket.send(event.data);
      var pcm = new Int16Array(event.data), sum = 0;
      for (var i = 0; i < pcm.length; i += 8) sum += Math.abs(pcm[i]);
      meter.style.width = Math.min(100, sum / (pcm.length / 8) / 50) + "%";
    };
    level.hidden = false;
    if (ended || !socket || socket.readyState !== WebSocket.OPEN) stopMic();  // the call ended while we asked
  }

  // Capture stops on "end", on hang-up and when the socket closes: no frame is sent after the call.
  function stopMic() {
    if (micNode) { micNode.port.onmessage = null; micNode.port.close(); micNode.disconnect(); }
    if (micStream) micStream.getTracks().forEach(function (track) { track.stop(); });
    micStream = micNode = null;
    level.hidden = true;
  }

  // --- the call -------------------------------------------------------------------------------------------------------
  var socket = null, callId = null, ended = false, voice = false;
  var startButton = byId("tester-start"), hangupButton = byId("tester-hangup");
  var input = byId("tester-text"), sendButton = byId("tester-send"), silenceButton = byId("tester-silence");

  function setLive(live) {
    startButton.disabled = live;
    document.querySelectorAll("[name=tester-mode]").forEach(function (radio) { radio.disabled = live; });
    [hangupButton, input, sendButton, silenceButton].forEach(function (el) { el.disabled = !live; });
    if (live) input.focus();
  }

  var handlers = {
    started: function (m) { callId = m.call; status(T.live + " · " + sourceLabel(m.nlu), "success"); },
    transcript: function (m) {
      // The debug panel shows the recogniser's words when the bot's vocabulary corrected them.
      pending.heard = m.heard && m.heard !== m.text ? m.text + " (" + T.corrected + " " + m.heard + ")" : m.text;
      if (m.source === "asr") bubble("user", m.text || "…");
    },
    nlu: function (m) { pending.nlu = m; },
    node: function (m) {
      var el = card(m.turn);
      field(el, "event").textContent = config.events[m.event] || m.event;
      field(el, "node").textContent = config.titles[m.node] || m.node;
      field(el, "node").title = m.node;  // the node's id, for whoever debugs the flow
      if (pending.heard != null) field(el, "heard").textContent = pending.heard || "…";
      if (pending.nlu) { showNlu(el, pending.nlu); showKnowledge(el, pending.nlu.knowledge); }
      pending = {};
      highlight(m.path, m.node);
    },
    state: function (m) { showSlots(card(m.turn), m.slots, m.changed, m.remembered); },
    say: function (m) { bubble("bot", m.text); },
    latency: function (m) { showLatency(card(m.turn), m); },
    stop_audio: stopPlayback,
    barge_in: function (m) { stopPlayback(); bubble("system", T.bargeIn, "barge-in"); },
    vad: function () {},
    mark: function () {},
    end: function (m) {
      ended = true;
      stopMic();
      bubble("system", T.outcome + ": " + m.outcome, "outcome");
      status(T.ended + " · " + T.outcome + ": " + m.outcome);
    },
    error: function (m) { bubble("system", T.error + ": " + m.message, "error").classList.add("text-danger"); },
  };

  async function start() {
    voice = document.querySelector("[name=tester-mode]:checked").value === "voice";
    chat.textContent = "";
    turnsBox.textContent = "";
    cards = {};
    pending = {};
    ended = false;
    byId("tester-recordings").hidden = true;
    container.querySelectorAll(".tester-visited, .tester-current").forEach(function (el) {
      el.classList.remove("tester-visited", "tester-current");
    });
    status(T.connecting);
    setLive(true);
    if (voice) {
      audioContext = new AudioContext();
      await audioContext.resume();
    }
    var scheme = location.protocol === "https:" ? "wss://" : "ws://";
    socket = new WebSocket(scheme + location.host + config.socket);
    socket.binaryType = "arraybuffer";
    socket.onopen = async function () {
      var start = {type: "start", bot: config.bot, version: config.version, mode: voice ? "voice" : "text"};
      var customer = byId("tester-customer").value;
      if (customer) start.customer = Number(customer);
      socket.send(JSON.stringify(start));
      if (!voice) return;
      try { await startMic(); } catch (e) { bubble("system", T.noMic, "error"); }
    };
    socket.onmessage = function (event) {
      if (typeof event.data !== "string") { play(event.data); return; }
      var message = JSON.parse(event.data);
      (handlers[message.type] || function () {})(message);
    };
    socket.onclose = function () {
      stopMic();
      setLive(false);
      if (!ended) { status(T.disconnected, "danger"); return; }
      if (voice && callId) showRecordings();
    };
  }

  function showRecordings() {
    var swap = function (url) { return url.replace("/calls/0/", "/calls/" + callId + "/"); };
    byId("tester-user-audio").src = swap(script.dataset.userAudio);
    byId("tester-bot-audio").src = swap(script.dataset.botAudio);
    byId("tester-call-link").href = swap(script.dataset.callUrl);
    byId("tester-recordings").hidden = false;
  }

  startButton.addEventListener("click", start);
  hangupButton.addEventListener("click", function () {
    stopMic();
    if (socket && socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify({type: "hangup"}));
    stopPlayback();
  });
  byId("tester-form").addEventListener("submit", function (event) {
    event.preventDefault();
    var text = input.value.trim();
    if (!text || !socket || socket.readyState !== WebSocket.OPEN) return;
    bubble("user", text);
    socket.send(JSON.stringify({type: "text", text: text}));
    input.value = "";
  });
  silenceButton.addEventListener("click", function () {
    bubble("user", T.silence);
    socket.send(JSON.stringify({type: "silence"}));
  });
  window.callTester = {lf: lf};
})();
