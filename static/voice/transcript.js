// Transcript page: the player follows the segments (click to play from a segment, the playing one is highlighted),
// and the label editor turns a text selection into a slot span `{slot, start, end}` (character offsets).
(function () {
  "use strict";
  var player = document.getElementById("player");
  var list = document.getElementById("segments");
  if (!player || !list) return;

  function segments() { return list.querySelectorAll(".segment[data-start]"); }

  function highlight() {
    var t = player.currentTime, current = null;
    segments().forEach(function (el) {
      var on = t >= parseFloat(el.dataset.start) && t < parseFloat(el.dataset.end);
      el.classList.toggle("playing", on);
      if (on) current = el;
    });
    if (current && !player.paused && current.dataset.scrolled !== "1") {
      segments().forEach(function (el) { delete el.dataset.scrolled; });
      current.dataset.scrolled = "1";
      current.scrollIntoView({ block: "nearest", behavior: "smooth" });
    }
  }
  player.addEventListener("timeupdate", highlight);
  player.addEventListener("seeked", highlight);

  function select(el) {
    segments().forEach(function (s) { s.classList.toggle("selected", s === el); });
    player.currentTime = parseFloat(el.dataset.start);
    var playing = player.play();
    if (playing && playing.catch) playing.catch(function () { /* autoplay refused: the position is still set */ });
    highlight();
    htmx.ajax("GET", el.dataset.labelUrl, { target: "#label-panel", swap: "innerHTML" });
  }
  list.addEventListener("click", function (e) {
    var el = e.target.closest(".segment[data-start]");
    if (!el || e.target.closest(".segment-actions, form, a, button, input")) return;
    select(el);
  });

  // --- label editor ---------------------------------------------------------------------------------------------
  function offsetIn(box, node, offset) {
    var range = document.createRange();
    range.selectNodeContents(box);
    range.setEnd(node, offset);
    return range.toString().length;
  }

  function initEditor(form) {
    if (!form || form.dataset.ready) return;
    form.dataset.ready = "1";
    var box = form.querySelector(".label-text");
    var input = form.querySelector("input[name=spans]");
    var chips = form.querySelector(".span-chips");
    var text = box.dataset.text;
    var spans = [];
    try { spans = JSON.parse(input.value || "[]"); } catch (err) { spans = []; }

    function render() {
      spans.sort(function (a, b) { return a.start - b.start; });
      input.value = JSON.stringify(spans);
      box.textContent = "";
      var pos = 0;
      spans.forEach(function (s) {
        box.appendChild(document.createTextNode(text.slice(pos, s.start)));
        var mark = document.createElement("mark");
        mark.className = "slot-mark";
        mark.dataset.slot = s.slot;
        mark.textContent = text.slice(s.start, s.end);
        box.appendChild(mark);
        pos = s.end;
      });
      box.appendChild(document.createTextNode(text.slice(pos)));
      chips.textContent = "";
      if (!spans.length) {
        var none = document.createElement("span");
        none.className = "small text-body-secondary";
        none.textContent = chips.dataset.empty;
        chips.appendChild(none);
      }
      spans.forEach(function (s, i) {
        var chip = document.createElement("span");
        chip.className = "badge rounded-pill text-bg-primary span-chip";
        chip.setAttribute("data-testid", "span-chip");
        chip.textContent = s.slot + ": " + text.slice(s.start, s.end) + " ";
        var remove = document.createElement("button");
        remove.type = "button";
        remove.className = "btn-close btn-close-white btn-sm align-middle";
        remove.setAttribute("aria-label", "×");
        remove.addEventListener("click", function () { spans.splice(i, 1); render(); });
        chip.appendChild(remove);
        chips.appendChild(chip);
      });
    }

    form.querySelector(".assign-slot").addEventListener("click", function () {
      var sel = window.getSelection();
      var slot = form.querySelector(".slot-select").value;
      if (!slot || !sel.rangeCount) return;
      var r = sel.getRangeAt(0);
      if (!box.contains(r.startContainer) || !box.contains(r.endContainer)) return;
      var start = offsetIn(box, r.startContainer, r.startOffset), end = offsetIn(box, r.endContainer, r.endOffset);
      while (start < end && /\s/.test(text[start])) start++;
      while (end > start && /\s/.test(text[end - 1])) end--;
      if (start >= end) return;
      spans = spans.filter(function (s) { return s.end <= start || s.start >= end; });  // the new span replaces overlaps
      spans.push({ slot: slot, start: start, end: end });
      sel.removeAllRanges();
      render();
    });
    render();
  }

  function initAll() { document.querySelectorAll("form.label-editor").forEach(initEditor); }
  document.body.addEventListener("htmx:afterSettle", initAll);
  initAll();
  var selected = document.querySelector("#label-panel form.label-editor");
  if (selected) {
    var url = selected.getAttribute("action");
    segments().forEach(function (el) { if (el.dataset.labelUrl === url) el.classList.add("selected"); });
  }
})();
