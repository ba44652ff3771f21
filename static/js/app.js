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
  document.addEventListener("DOMContentLoaded", function () { showToasts(document); });
  // Server code sends `trigger_client_event(response, "toast", {"text": ..., "level": ...})`.
  document.body.addEventListener("toast", function (e) { addToast(e.detail.text, e.detail.level); });
  document.body.addEventListener("htmx:responseError", function (e) {
    addToast((e.detail.xhr.status || "") + " " + (e.detail.xhr.statusText || "error"), "danger");
  });
})();
