// The side panel's form controls the server does not render alone: script variants (add, remove, renumber), slot chips
// that insert {slot} where the cursor was, and the fields shown for an edge's condition type. An ES module.

var lastText = null;

export function enhance(panel) {
  panel.addEventListener("focusin", function (e) { if (e.target.tagName === "TEXTAREA") lastText = e.target; });
  panel.addEventListener("click", function (e) {
    var add = e.target.closest("[data-action=add-variant]");
    var remove = e.target.closest("[data-action=remove-variant]");
    var chip = e.target.closest("[data-insert-slot]");
    if (add) addVariant(add.closest(".variants"));
    if (remove) removeVariant(remove.closest(".variant"));
    if (chip) insertSlot(chip.closest(".variants"), chip.dataset.insertSlot);
  });
  panel.addEventListener("change", function (e) {
    if (e.target.name !== "type") return;
    panel.querySelectorAll("[data-for-type]").forEach(function (el) { el.hidden = el.dataset.forType !== e.target.value; });
  });
}

function addVariant(block) {
  var rows = block.querySelectorAll(".variant");
  var copy = rows[rows.length - 1].cloneNode(true);
  copy.querySelector("textarea").value = "";
  rows[rows.length - 1].after(copy);
  renumber(block);
  copy.querySelector("textarea").focus();
}
function removeVariant(row) {
  var block = row.closest(".variants");
  if (block.querySelectorAll(".variant").length > 1) row.remove();
  else row.querySelector("textarea").value = "";
  renumber(block);
  block.closest("form").dispatchEvent(new Event("change", {bubbles: true}));
}
function renumber(block) {
  block.querySelectorAll(".variant-number").forEach(function (el, i) { el.textContent = i + 1; });
}
function insertSlot(block, name) {
  var area = lastText && block.contains(lastText) ? lastText : block.querySelector("textarea");
  var start = area.selectionStart != null ? area.selectionStart : area.value.length;
  var end = area.selectionEnd != null ? area.selectionEnd : start;
  var token = "{" + name + "}";
  area.value = area.value.slice(0, start) + token + area.value.slice(end);
  area.focus();
  area.setSelectionRange(start + token.length, start + token.length);
  area.dispatchEvent(new Event("change", {bubbles: true}));
}
