// Page-wide behaviour: show Django messages and htmx-triggered messages as Bootstrap toasts.
(function () {
  "use strict";
  function showToasts(root) {
    root.querySelectorAll(".toast[data-autoshow]").forEach(function (el) {
      el.removeAttribute("data-autoshow");
      bootstrap.Toast.getOrCreateInstance(el, { delay: 6000 }).show();
    });
  }
  function addToast(text, level) {
    var el = document.createElement("div");
    el.className = "toast align-items-center border-0 text-bg-" + (level || "secondary");
    el.setAttribute("role", "status");
    el.setAttribute("data-autoshow", "");
    var body = document.createElement("div");
    body.className = "toast-body";
    body.textContent = text;
    el.appendChild(body);
    document.getElementById("toasts").appendChild(el);
    showToasts(document);
  }
  window.salesStudioToast = addToast;
  // No inline handlers (the Content-Security-Policy allows scripts from this site only): a form with [data-confirm]
  // asks in the page's own dialog before it is sent ([data-confirm-detail] names a <template> shown under the
  // question); a field with [data-autosubmit] sends its form when it changes (after [data-confirm]).
  function ask(question, detail, yes, no) {
    var box = document.getElementById("confirm-modal");
    var modal = window.bootstrap.Modal.getOrCreateInstance(box);
    var answered = false;
    box.querySelector("[data-confirm-text]").textContent = question;
    var extra = box.querySelector("[data-confirm-detail]");
    extra.textContent = "";
    var template = detail && document.querySelector(detail);
    if (template) extra.appendChild(template.content.cloneNode(true));
    var ok = box.querySelector("[data-testid=confirm-ok]");
    ok.onclick = function () { answered = true; modal.hide(); yes(); };
    box.addEventListener("hidden.bs.modal", function () { if (!answered && no) no(); }, {once: true});
    modal.show();
  }
  function send(form) { form.requestSubmit ? form.requestSubmit() : form.submit(); }
  document.addEventListener("submit", function (e) {
    var form = e.target;
    if (!form.dataset || !form.dataset.confirm) return;
    if (form.dataset.confirmed) { delete form.dataset.confirmed; return; }
    e.preventDefault();
    ask(form.dataset.confirm, form.dataset.confirmDetail, function () { form.dataset.confirmed = "1"; send(form); });
  });
  document.addEventListener("change", function (e) {
    var field = e.target;
    if (!field.hasAttribute || !field.hasAttribute("data-autosubmit")) return;
    if (!field.dataset.confirm) { send(field.form); return; }
    ask(field.dataset.confirm, field.dataset.confirmDetail, function () { send(field.form); },
        function () { field.value = ""; });
  });
  // A [data-copy] button copies the value of the input beside it (invitation links).
  document.addEventListener("click", function (e) {
    var button = e.target.closest("[data-copy]");
    if (!button) return;
    var input = button.parentElement.querySelector("input");
    input.select();
    var done = function () { addToast(button.dataset.copied, "success"); };
    var fallback = function () { document.execCommand("copy"); done(); };
    if (navigator.clipboard && window.isSecureContext) navigator.clipboard.writeText(input.value).then(done, fallback);
    else fallback();
  });
  // A file picker (salesstudio.forms.FilePicker) names the chosen files beside its button, in the page's words.
  function showFileNames(input) {
    var names = input.parentElement.querySelector("[data-file-names]");
    if (!names) return;  // a picker that sends its form at once names nothing
    var chosen = Array.prototype.map.call(input.files || [], function (f) { return f.name; });
    names.textContent = chosen.length ? chosen.join("、") : names.dataset.none;
    names.title = chosen.join("\n");
    names.classList.toggle("text-body-secondary", !chosen.length);
  }
  document.addEventListener("change", function (e) {
    if (e.target.classList && e.target.classList.contains("file-picker-input")) showFileNames(e.target);
  });
  // Files dropped on a picker are chosen, as a browser's own file input takes them.
  document.addEventListener("dragover", function (e) {
    if (e.target.closest && e.target.closest("[data-file-picker]")) e.preventDefault();
  });
  document.addEventListener("drop", function (e) {
    var picker = e.target.closest && e.target.closest("[data-file-picker]");
    if (!picker || !e.dataTransfer.files.length) return;
    e.preventDefault();
    var input = picker.querySelector(".file-picker-input");
    input.files = e.dataTransfer.files;
    input.dispatchEvent(new Event("change", {bubbles: true}));
  });
  document.addEventListener("reset", function (e) {
    setTimeout(function () { e.target.querySelectorAll(".file-picker-input").forEach(showFileNames); });
  });
  document.addEventListener("DOMContentLoaded", function () { showToasts(document); });
  // Server code sends `trigger_client_event(response, "toast", {"text": ..., "level": ...})`.
  document.body.addEventListener("toast", function (e) { addToast(e.detail.text, e.detail.level); });
  document.body.addEventListener("htmx:responseError", function (e) {
    var xhr = e.detail.xhr, type = xhr.getResponseHeader("Content-Type") || "";
    // A short plain-text answer says what went wrong in the page's language (e.g. an upload over the limit).
    var said = type.indexOf("text/plain") === 0 && xhr.responseText.length < 300 ? xhr.responseText : "";
    addToast(said || (xhr.status || "") + " " + (xhr.statusText || "error"), "danger");
  });
})();
