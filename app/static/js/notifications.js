/* Live notifications: a toast for each `notification` event (rendered by the server in the
 * reader's language, so no text lives here). The bell's badge refreshes itself through its
 * own hx-trigger. */
(function () {
  "use strict";

  document.addEventListener("encore:notification", function (e) {
    var payload = e.detail || {};
    if (!window.htmx || typeof payload.id !== "number" || !document.getElementById("toasts")) return;
    window.htmx.ajax("GET", "/notifications/" + payload.id + "/toast", {
      target: "#toasts",
      swap: "beforeend"
    });
  });
})();
