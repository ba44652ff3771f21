// Slot span editor: select characters of the utterance (in the text box or the preview), then click a slot button.
// Spans live as JSON in the hidden `spans` field: [{"slot", "start", "end", "value"}] with character offsets.
(function () {
  "use strict";

  function setup(root) {
    var input = root.querySelector("input[name=text]");
    var hidden = root.querySelector("input[name=spans]");
    var preview = root.querySelector("[data-preview]");
    var selection = null;  // {start, end} of the latest non-empty selection
    var spans = [];
    try { spans = JSON.parse(hidden.value || "[]"); } catch (e) { spans = []; }

    function save() {
      spans.sort(function (a, b) { return a.start - b.start; });
      hidden.value = JSON.stringify(spans);
      render();
    }

    function render() {
      var text = input.value;
      preview.textContent = "";
      var at = 0;
      spans.forEach(function (span, index) {
        if (span.start > at) { preview.appendChild(piece(text.slice(at, span.start), at)); }
        var mark = document.createElement("mark");
        mark.className = "nlu-span";
        mark.dataset.slot = span.slot;
        mark.dataset.testid = "span";
        mark.setAttribute("data-testid", "span-" + span.slot);
        mark.appendChild(piece(text.slice(span.start, span.end), span.start));
        var label = document.createElement("sup");
        label.className = "nlu-span-label";
        label.textContent = span.slot + " ×";
        label.title = "remove";
        label.addEventListener("click", function () { spans.splice(index, 1); save(); });
        mark.appendChild(label);
        preview.appendChild(mark);
        at = span.end;
      });
      if (at < text.length) { preview.appendChild(piece(text.slice(at), at)); }
    }

    function piece(text, offset) {
      var el = document.createElement("span");
      el.textContent = text;
      el.dataset.offset = offset;
      return el;
    }

    function fromInput() {
      if (input.selectionStart !== null && input.selectionEnd > input.selectionStart) {
        selection = { start: input.selectionStart, end: input.selectionEnd };
      }
    }

    function fromPreview() {
      var sel = window.getSelection();
      if (!sel || sel.isCollapsed || !preview.contains(sel.anchorNode)) { return; }
      var a = offsetOf(sel.anchorNode, sel.anchorOffset), b = offsetOf(sel.focusNode, sel.focusOffset);
      if (a !== null && b !== null && a !== b) { selection = { start: Math.min(a, b), end: Math.max(a, b) }; }
    }

    function offsetOf(node, offset) {
      var el = node.nodeType === 3 ? node.parentElement : node;
      if (!el || el.dataset.offset === undefined) { return null; }
      return parseInt(el.dataset.offset, 10) + offset;
    }

    ["select", "mouseup", "keyup"].forEach(function (name) { input.addEventListener(name, fromInput); });
    preview.addEventListener("mouseup", fromPreview);

    input.addEventListener("input", function () {
      // Keep the spans whose words are still in the text (moved if the text around them changed).
      var text = input.value;
      spans = spans.filter(function (span) {
        if (text.slice(span.start, span.end) === span.value) { return true; }
        var at = text.indexOf(span.value);
        if (at < 0) { return false; }
        span.start = at; span.end = at + span.value.length;
        return true;
      });
      selection = null;
      save();
    });

    root.querySelectorAll("[data-slot-buttons] button").forEach(function (button) {
      button.addEventListener("click", function () {
        fromInput();
        if (!selection) { window.salesStudioToast && window.salesStudioToast(root.dataset.hint || "↔", "warning"); return; }
        var text = input.value, start = selection.start, end = selection.end;
        while (start < end && /\s/.test(text[start])) { start++; }
        while (end > start && /\s/.test(text[end - 1])) { end--; }
        if (start >= end) { return; }
        spans = spans.filter(function (s) { return s.end <= start || s.start >= end; });
        spans.push({ slot: button.dataset.slot, start: start, end: end, value: text.slice(start, end) });
        selection = null;
        save();
      });
    });
    render();
  }

  document.querySelectorAll("[data-span-editor]").forEach(setup);
})();
