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
  // asks before it is sent; a field with [data-autosubmit] sends its form when it changes (after [data-confirm]).
  document.addEventListener("submit", function (e) {
    var form = e.target;
    if (form.dataset && form.dataset.confirm && !window.confirm(form.dataset.confirm)) e.preventDefault();
  });
  document.addEventListener("change", function (e) {
    var field = e.target;
    if (!field.hasAttribute || !field.hasAttribute("data-autosubmit")) return;
    if (field.dataset.confirm && !window.confirm(field.dataset.confirm)) { field.value = ""; return; }
    field.form.requestSubmit ? field.form.requestSubmit() : field.form.submit();
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
